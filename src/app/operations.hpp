#pragma once
// Operations endpoints and middleware: X-Request-ID, HTTP metrics, access log, /metrics, /ready.

#include "serve_options.hpp"

#include "sluice/api/app.hpp"
#include "sluice/obs/metrics.hpp"
#include "sluice/postgres/database.hpp"

#include <memory>

namespace sluice::server {

/// Installs the observability middleware and GET /metrics and GET /ready. Needs the JobService
/// and the model registered first; `database` (null: none) is checked by /ready.
void add_operations(App& app, const ServeOptions& options, std::shared_ptr<postgres::Database> database);

}  // namespace sluice::server
