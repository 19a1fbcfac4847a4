#pragma once
// The article's endpoints on a Sluice App.

#include "protection.hpp"
#include "serve_options.hpp"

#include "sluice/api/app.hpp"

namespace sluice::app {

/// Registers the services the routes need (model, HTTP client, context source, job system)
/// and the routes: GET /health, GET /generate, POST /datasets/{dataset_id}/process and /jobs,
/// POST /ai/generate, GET /ai.
/// Model routes go through `protection`'s admission gates and deadlines.
void add_article_routes(App& app, const ServeOptions& options, Protection& protection);

}  // namespace sluice::app
