#pragma once
// The server's protection against bursts and strangers, configured from flags: API keys,
// rate limits (in memory, or in Redis shared by every server), per-route admission control
// and deadlines, and the Prometheus series they report.

#include "serve_options.hpp"

#include "sluice/api/app.hpp"
#include "sluice/limits/admission.hpp"
#include "sluice/limits/limiter.hpp"

#include <memory>
#include <string>
#include <vector>

namespace sluice::app {

class Protection {
 public:
  /// Installs the global middleware on `app`: API keys (when configured), then the global rate
  /// limit (when configured). `counters` is where rate limits count (memory or Redis).
  Protection(App& app, const ProtectionOptions& options, limits::RateCounterFactory counters);

  /// Guards of an expensive route: its own admission gate (max in flight + bounded queue).
  http::Guards model_route_guards(const std::string& route);
  /// Middleware of an expensive route: the request deadline.
  std::vector<http::Middleware> model_route_middleware() const;
  /// A per-client rate limit for one route.
  std::shared_ptr<http::Guard> rate_limit(std::string_view spec) { return limiter_.limit(spec); }
  /// Whether requests must carry an API key (then files and batches belong to their key).
  bool requires_api_key() const { return requires_api_key_; }

  /// sluice_rate_limit_*, sluice_admission_* and sluice_connections_* series in the
  /// Prometheus text format.
  std::string metrics(const http::ServerStats& server) const;

 private:
  ProtectionOptions options_;
  bool requires_api_key_ = false;
  limits::Limiter limiter_;
  std::vector<std::pair<std::string, std::shared_ptr<limits::AdmissionGate>>> gates_;  // by route
};

}  // namespace sluice::app
