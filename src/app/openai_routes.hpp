#pragma once
// The OpenAI-compatible API on the configured ai::Embedder and ai::Generator.

#include "protection.hpp"
#include "request_limits.hpp"

#include "sluice/api/app.hpp"

namespace sluice::app {

/// GET /v1/models, POST /v1/embeddings, POST /v1/chat/completions, POST /v1/completions
/// (`stream: true` as Server-Sent Events ending in `data: [DONE]`). Errors on these routes use
/// OpenAI's shape {"error":{"message","type","param","code"}}. The model routes get
/// `protection`'s request deadline, like the article's model routes; `limits` bound each request.
void add_openai_routes(App& app, Protection& protection, const RequestLimits& limits = {});

}  // namespace sluice::app
