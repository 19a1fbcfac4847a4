#pragma once
// `sluice serve` put together: the services its flags select, and every layer's route group
// mounted on one App. Composition only: what a route does lives in its layer.

#include "serve_options.hpp"

#include "sluice/api/app.hpp"

namespace sluice::server {

/// Builds the services (Redis when --redis-url is set, the protection, caches, the model
/// stack, the job system, datasets, the context source) and mounts the routes: the pipeline
/// endpoints, jobs, datasets, operations, /v1, files and batches, the console.
void compose_server(App& app, const ServeOptions& options);

}  // namespace sluice::server
