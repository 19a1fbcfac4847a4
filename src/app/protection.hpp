#pragma once
// The server's protection against bursts and strangers, configured from flags: API keys,
// rate limits (in memory, or in Redis shared by every server), per-route admission control
// and deadlines. Limits and gates report their figures to the app's metrics registry.

#include "serve_options.hpp"

#include "sluice/api/app.hpp"
#include "sluice/limits/admission.hpp"
#include "sluice/limits/limiter.hpp"

#include <memory>
#include <string>
#include <vector>

namespace sluice::server {

class Protection {
 public:
  /// Installs the global middleware on `app`: API keys (when configured), then the global rate
  /// limit (when configured). `counters` is where rate limits count (memory or Redis).
  Protection(App& app, const ProtectionOptions& options, limits::RateCounterFactory counters);

  /// The admission gate of one model stage ("generate", ...): max in flight + bounded queue.
  /// It covers the model call only, not the I/O a request waits on (see model_admission.hpp).
  std::shared_ptr<limits::AdmissionGate> model_gate(const std::string& stage);
  /// What a model route may answer besides its result (for OpenAPI): 503 at capacity, 504.
  static std::vector<std::pair<unsigned, std::string>> model_route_responses();
  /// Middleware of an expensive route: the request deadline, its 504 in the route's error
  /// format (`respond`; nullptr: Sluice's).
  std::vector<http::Middleware> model_route_middleware(
      http::Response (*respond)(const core::Error& error) = nullptr) const;
  /// A per-client rate limit for one route.
  std::shared_ptr<http::Guard> rate_limit(std::string_view spec) { return limiter_.limit(spec); }
  /// Whether requests must carry an API key (then files and batches belong to their key).
  bool requires_api_key() const { return requires_api_key_; }

 private:
  ProtectionOptions options_;
  std::shared_ptr<obs::Registry> metrics_;
  bool requires_api_key_ = false;
  limits::Limiter limiter_;
};

}  // namespace sluice::server
