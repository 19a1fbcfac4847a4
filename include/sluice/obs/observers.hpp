#pragma once
// Observability on the request path: HTTP metrics and access logs, as request observers
// (request ids are the server's own: ServerOptions::request_ids).

#include "sluice/http/handler.hpp"
#include "sluice/obs/metrics.hpp"

#include <memory>

namespace sluice::obs {

/// sluice_http_requests_total{route,method,status}, sluice_http_request_duration_seconds{route,method}
/// and sluice_http_requests_in_flight. `route` is the route's pattern ("/jobs/{job_id}"), so the
/// number of series stays bounded whatever paths clients send; unmatched requests count as "none".
http::RequestObserver http_metrics(std::shared_ptr<Registry> registry);

/// One structured JSON line per request at info level: time, request id, client, method, path,
/// route, status, duration. Never logs headers (so no credentials) or bodies.
http::RequestObserver access_log();

}  // namespace sluice::obs
