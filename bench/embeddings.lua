-- POST /v1/embeddings with one text per request, a different sentence each time; base64, as the
-- official OpenAI clients ask by default.
local sentences = {
  "How do I reset my password?",
  "Rate limits protect expensive endpoints from bursts of traffic.",
  "Sluice batches concurrent embedding requests into one matrix product.",
  "The weather in Paris is sunny with a light breeze this afternoon.",
  "Background jobs survive restarts because their state lives in SQLite.",
  "A circuit breaker stops calling an upstream that keeps failing.",
  "Streaming responses send tokens to the client as soon as they exist.",
  "Vectors are normalised so that a dot product is a cosine similarity.",
}
local i = 0
request = function()
  i = i + 1
  local body = '{"model":"sluice-embed","encoding_format":"base64","input":"' .. sentences[(i % #sentences) + 1] .. ' #' .. i .. '"}'
  return wrk.format("POST", "/v1/embeddings", {["Content-Type"] = "application/json"}, body)
end
