-- POST /v1/embeddings with the same bodies as bench/batch_load.mjs's batch lines; the thread
-- stops after COUNT responses (env BATCH_REQUESTS, default 10000): run wrk with -t1.
local count = tonumber(os.getenv("BATCH_REQUESTS") or "10000")
local sent, done = 0, 0
request = function()
  local i = sent
  sent = sent + 1
  local body = '{"model":"sluice-embed","encoding_format":"base64","input":"Background jobs survive restarts because their state lives in SQLite, document ' .. i .. '."}'
  return wrk.format("POST", "/v1/embeddings", {["Content-Type"] = "application/json"}, body)
end
response = function(status)
  done = done + 1
  if done >= count then wrk.thread:stop() end
end
