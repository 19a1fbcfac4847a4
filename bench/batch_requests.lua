-- POST /v1/embeddings with the same bodies as bench/batch_load.mjs's batch lines.
local sent = 0
request = function()
  local i = sent
  sent = sent + 1
  local body = '{"model":"sluice-embed","encoding_format":"base64","input":"Background jobs survive restarts because their state lives in SQLite, document ' .. i .. '."}'
  return wrk.format("POST", "/v1/embeddings", {["Content-Type"] = "application/json"}, body)
end
