#pragma once
// Operations endpoints and middleware: X-Request-ID, HTTP metrics, access log, /metrics, /ready.

#include "serve_options.hpp"

#include "sluice/api/app.hpp"
#include "sluice/obs/metrics.hpp"

namespace sluice::server {

/// Installs the observability middleware and GET /metrics and GET /ready. Needs the JobService
/// and the model registered first.
void add_operations(App& app, const ServeOptions& options);

}  // namespace sluice::server
