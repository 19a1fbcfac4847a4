#pragma once
// The OpenAI-compatible API on the configured ai::Embedder and ai::Generator.

#include "protection.hpp"
#include "request_limits.hpp"

#include "sluice/ai/embedder.hpp"
#include "sluice/ai/generator.hpp"
#include "sluice/api/app.hpp"

#include <boost/json/value.hpp>

#include <string_view>

namespace sluice::app {

/// GET /v1/models, POST /v1/embeddings, POST /v1/chat/completions, POST /v1/completions
/// (`stream: true` as Server-Sent Events ending in `data: [DONE]`). Errors on these routes use
/// OpenAI's shape {"error":{"message","type","param","code"}}. The model routes get
/// `protection`'s request deadline, like the article's model routes; `limits` bound each request.
void add_openai_routes(App& app, Protection& protection, const RequestLimits& limits = {});

/// A /v1 answer without HTTP: the status and the JSON body (the response or OpenAI's error).
struct V1Outcome {
  unsigned status = 200;
  boost::json::value body;
};

/// Runs one request body of `endpoint` (/v1/embeddings, /v1/chat/completions, /v1/completions)
/// in process, exactly as the online route does (the routes call the same code), minus
/// streaming: `stream: true` is refused. Batches run their lines through it with
/// `is_background`: their embeddings yield to interactive requests (Embedder::embed_background).
boost::asio::awaitable<V1Outcome> execute_v1(std::string_view endpoint, std::string_view body, ai::Embedder& embedder,
                                             ai::Generator& generator, bool is_background = false,
                                             const RequestLimits& limits = {});

}  // namespace sluice::app
