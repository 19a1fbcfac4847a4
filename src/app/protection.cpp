#include "protection.hpp"

#include "sluice/api/security.hpp"
#include "sluice/limits/deadline.hpp"

#include <spdlog/spdlog.h>

namespace sluice::server {

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
      metrics_(app.metrics()),
      limiter_({.key = client_key(options),
                .counters = std::move(counters),
                .headers_on_success = options.rate_limit_headers,
                .metrics = metrics_}) {
  if (auto keys = load_api_keys(options)) {
    spdlog::info("API keys required ({} configured)", keys->size());
    requires_api_key_ = true;
    app.guard(api::require_api_key(keys, {.exempt = {"/health", "/ready", "/metrics", "/openapi.json", "/docs*", "/console*"}}));
  }
  if (!options.rate_limit.empty()) app.guard(limiter_.shared_limit(options.rate_limit, "global"));
}

std::shared_ptr<limits::AdmissionGate> Protection::model_gate(const std::string& stage) {
  return limits::AdmissionGate::create({.max_in_flight = options_.max_in_flight,
                                        .max_queue = options_.max_queue,
                                        .queue_timeout = options_.queue_timeout,
                                        .queue_target = options_.queue_target,
                                        .metrics = metrics_,
                                        .name = stage,
                                        .label = "stage"});
}

std::vector<std::pair<unsigned, std::string>> Protection::model_route_responses() {
  return {{503, "The model is at capacity (its admission queue is full): retry after Retry-After seconds"},
          {504, "The request's deadline passed"}};
}

std::vector<http::Middleware> Protection::model_route_middleware(
    http::Response (*respond)(const core::Error& error)) const {
  return {limits::deadline(options_.request_timeout, respond)};
}

}  // namespace sluice::server
