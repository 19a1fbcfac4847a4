#include "protection.hpp"

#include "sluice/api/security.hpp"
#include "sluice/limits/deadline.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

namespace sluice::app {

namespace {

/// Keys from --api-keys-file and SLUICE_API_KEYS together; none: no authentication.
std::shared_ptr<api::ApiKeys> load_api_keys(const ProtectionOptions& options) {
  auto from_env = api::ApiKeys::from_env("SLUICE_API_KEYS");
  std::vector<std::string> keys;
  if (!options.api_keys_file.empty()) {
    auto from_file = api::ApiKeys::from_file(options.api_keys_file);
    if (from_file.size() == 0) throw std::runtime_error("no API keys in " + options.api_keys_file);
    keys = std::move(from_file).release();
  }
  for (auto& key : std::move(from_env).release()) keys.push_back(std::move(key));
  if (keys.empty()) return nullptr;
  return std::make_shared<api::ApiKeys>(std::move(keys));
}

limits::KeyFunction client_key(const ProtectionOptions& options) {
  if (options.rate_limit_key == "address" && options.trusted_proxies.empty()) return {};  // the peer: fastest
  limits::TrustedProxies proxies(options.trusted_proxies);
  return options.rate_limit_key == "api_key" ? limits::by_api_key(std::move(proxies))
                                             : limits::by_client_address(std::move(proxies));
}

}  // namespace

Protection::Protection(App& app, const ProtectionOptions& options, limits::RateCounterFactory counters)
    : options_(options),
      limiter_({.key = client_key(options),
                .counters = std::move(counters),
                .headers_on_success = options.rate_limit_headers}) {
  if (auto keys = load_api_keys(options)) {
    spdlog::info("API keys required ({} configured)", keys->size());
    app.guard(api::require_api_key(keys, {.exempt = {"/health", "/ready", "/metrics", "/openapi.json", "/docs*", "/console*"}}));
  }
  if (!options.rate_limit.empty()) app.guard(limiter_.shared_limit(options.rate_limit, "global"));
}

http::Guards Protection::model_route_guards(const std::string& route) {
  auto gate = limits::AdmissionGate::create(
      {.max_in_flight = options_.max_in_flight, .max_queue = options_.max_queue, .queue_timeout = options_.queue_timeout});
  gates_.emplace_back(route, gate);
  return {gate};
}

std::vector<http::Middleware> Protection::model_route_middleware() const {
  return {limits::deadline(options_.request_timeout)};
}

std::string Protection::metrics(const http::ServerStats& server) const {
  const auto& limits = limiter_.stats();
  std::string out = fmt::format(
      "# HELP sluice_rate_limit_requests_total Requests checked by rate limits, by outcome.\n"
      "# TYPE sluice_rate_limit_requests_total counter\n"
      "sluice_rate_limit_requests_total{{outcome=\"allowed\"}} {}\n"
      "sluice_rate_limit_requests_total{{outcome=\"limited\"}} {}\n"
      "sluice_rate_limit_requests_total{{outcome=\"store_error\"}} {}\n"
      "# HELP sluice_connections Open client connections.\n"
      "# TYPE sluice_connections gauge\n"
      "sluice_connections {}\n"
      "# HELP sluice_connections_rejected_total Connections refused at the connection cap.\n"
      "# TYPE sluice_connections_rejected_total counter\n"
      "sluice_connections_rejected_total {}\n",
      limits.allowed.load(), limits.limited.load(), limits.store_errors.load(), server.open_connections.load(),
      server.rejected_connections.load());
  out +=
      "# HELP sluice_admission_in_flight Requests running in a route's admission gate.\n"
      "# TYPE sluice_admission_in_flight gauge\n";
  for (const auto& [route, gate] : gates_) out += fmt::format("sluice_admission_in_flight{{route=\"{}\"}} {}\n", route, gate->in_flight());
  out +=
      "# HELP sluice_admission_queue_depth Requests waiting for a slot in a route's admission gate.\n"
      "# TYPE sluice_admission_queue_depth gauge\n";
  for (const auto& [route, gate] : gates_) out += fmt::format("sluice_admission_queue_depth{{route=\"{}\"}} {}\n", route, gate->queued());
  out +=
      "# HELP sluice_admission_requests_total Requests at a route's admission gate, by outcome.\n"
      "# TYPE sluice_admission_requests_total counter\n";
  for (const auto& [route, gate] : gates_) {
    const auto& s = gate->stats();
    out += fmt::format(
        "sluice_admission_requests_total{{route=\"{0}\",outcome=\"admitted\"}} {1}\n"
        "sluice_admission_requests_total{{route=\"{0}\",outcome=\"shed_queue_full\"}} {2}\n"
        "sluice_admission_requests_total{{route=\"{0}\",outcome=\"shed_timeout\"}} {3}\n",
        route, s.admitted.load(), s.shed_queue_full.load(), s.shed_timeout.load());
  }
  return out;
}

}  // namespace sluice::app
