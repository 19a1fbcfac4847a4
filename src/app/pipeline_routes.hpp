#pragma once
// The endpoints of the FastAPI article Sluice's server was first measured against
// (../shared/peers: the same app in FastAPI, and bench/http.sh comparing them): GET /health,
// GET /generate (context over the async client, then the model), POST /ai/generate (the
// injected model), GET /ai (rate-limited). Kept with the article's shapes, so the comparison
// stays one of like with like.

#include "sluice/api/route_group.hpp"
#include "sluice/http/guard.hpp"

#include <utility>
#include <string>
#include <vector>

namespace sluice::server {

struct PipelineRouteOptions {
  http::Guards generate_guards;                  // GET /generate's own (the response cache)
  std::vector<http::Middleware> model_middleware;  // deadlines of the model routes
  std::vector<std::pair<unsigned, std::string>> model_responses;
  std::shared_ptr<http::Guard> ai_rate_limit;    // GET /ai's
};

/// The group; /generate and /ai/generate take the ContextSource and ai::Generator singletons.
api::RouteGroup pipeline_routes(PipelineRouteOptions options);

}  // namespace sluice::server
