#pragma once
// The article's endpoints on a Sluice App.

#include "serve_options.hpp"

#include "sluice/api/app.hpp"

namespace sluice::app {

/// Registers the services the routes need (model, HTTP client, context source, job system)
/// and the routes: GET /health, GET /generate, POST /datasets/{dataset_id}/process and /jobs,
/// POST /ai/generate, GET /ai.
/// With --redis-url, rate-limit counts and the context cache live in Redis too. Model routes go
/// through admission gates and deadlines (Protection).
void add_article_routes(App& app, const ServeOptions& options);

}  // namespace sluice::app
