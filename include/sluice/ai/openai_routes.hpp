#pragma once
// The OpenAI-compatible API as a route group a library user mounts in one call, on the
// ai::Embedder and ai::Generator the app provides (DI singletons):
//
//   app.services().add_singleton<ai::Embedder>(embedder);
//   app.services().add_singleton<ai::Generator>(generator);
//   app.include(ai::openai::routes());  // /v1/models, /v1/embeddings, /v1/chat/completions, /v1/completions

#include "sluice/ai/embedder.hpp"
#include "sluice/ai/generator.hpp"
#include "sluice/api/route_group.hpp"

#include <boost/asio/awaitable.hpp>
#include <boost/json/value.hpp>

#include <cstddef>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace sluice::ai::openai {

/// What one request may ask for, so that no request can take the server's memory (a 1.2 MB
/// body of 200,000 one-character inputs once grew it to 23 GB). OpenAI's own limits where it has
/// them: 2,048 inputs per embeddings request, 8,192 tokens per input (docs/operations.md,
/// "Bounded memory").
struct RequestLimits {
  std::size_t max_inputs = 2048;              // embeddings inputs per request
  std::size_t max_messages = 1024;            // chat messages per request
  std::size_t max_completion_tokens = 4096;   // largest `max_tokens` a client may ask for
  std::size_t max_response_bytes = 64 << 20;  // embeddings answers estimated larger are refused up front
};

struct RouteOptions {
  RequestLimits limits;
  /// Middleware around the model routes (not /v1/models), outermost first: a request deadline,
  /// `limits::deadline(timeout, error_format().respond)`, so that its 504 is in OpenAI's shape.
  std::vector<http::Middleware> model_middleware;
  /// What the model routes may answer besides their result, for /openapi.json ({{504, "..."}}).
  std::vector<std::pair<unsigned, std::string>> model_responses;
  api::RouteGroupOptions group = {.prefix = "/v1", .tags = {"openai"}};
};

/// GET /models, POST /embeddings, POST /chat/completions, POST /completions (`stream: true` as
/// Server-Sent Events ending in `data: [DONE]`), under /v1. Bodies are the typed models of
/// ai/openai.hpp (documented in /openapi.json); every failure of these routes, invalid input
/// included, is answered in OpenAI's shape {"error":{"message","type","param","code"}}.
api::RouteGroup routes(RouteOptions options = {});

/// A /v1 answer without HTTP: the status and the JSON body (the response or OpenAI's error).
struct Outcome {
  unsigned status = 200;
  boost::json::value body;
};

/// Runs one request body of `endpoint` (/v1/embeddings, /v1/chat/completions, /v1/completions)
/// in process, exactly as the route does (the routes call the same code), minus streaming:
/// `stream: true` is refused. Batches run their lines through it with `is_background`: their
/// embeddings yield to interactive requests (Embedder::embed_background).
boost::asio::awaitable<Outcome> execute(std::string_view endpoint, std::string_view body, Embedder& embedder,
                                        Generator& generator, bool is_background = false,
                                        const RequestLimits& limits = {});

}  // namespace sluice::ai::openai
