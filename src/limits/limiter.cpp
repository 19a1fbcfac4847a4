#include "sluice/limits/limiter.hpp"

#include "sluice/http/request.hpp"

#include <spdlog/spdlog.h>

namespace sluice::limits {

namespace asio = boost::asio;

namespace {

long long ceil_seconds(std::chrono::nanoseconds d) { return std::chrono::ceil<std::chrono::seconds>(d).count(); }

/// IETF draft-ietf-httpapi-ratelimit-headers: the quota, what is left, and seconds until reset.
void set_rate_headers(http::Response& response, const Decision& decision) {
  response.set_header("RateLimit-Limit", std::to_string(decision.limit));
  response.set_header("RateLimit-Remaining", std::to_string(decision.remaining));
  response.set_header("RateLimit-Reset", std::to_string(ceil_seconds(decision.reset_after)));
}

class MemoryCounter final : public RateCounter {
 public:
  MemoryCounter(std::vector<RateLimit> rates, std::size_t max_keys) : limiter_(std::move(rates), max_keys) {}
  asio::awaitable<core::Result<Decision>> acquire(std::string key) override { co_return limiter_.acquire(key); }

 private:
  RateLimiter limiter_;
};

}  // namespace

RateCounterFactory memory_counters(std::size_t max_keys) {
  return [max_keys](std::vector<RateLimit> rates, std::string) -> std::shared_ptr<RateCounter> {
    return std::make_shared<MemoryCounter>(std::move(rates), max_keys);
  };
}

Limiter::Limiter(LimiterOptions options) : options_(std::move(options)) {}

http::Middleware Limiter::limit(std::string_view spec, KeyFunction key) {
  return make(spec, std::string(spec), true, std::move(key));
}

http::Middleware Limiter::shared_limit(std::string_view spec, std::string scope, KeyFunction key) {
  return make(spec, std::move(scope), false, std::move(key));
}

http::Middleware Limiter::make(std::string_view spec, std::string scope, bool is_per_route, KeyFunction key) {
  auto rates = RateLimit::parse_all(spec);
  auto counter = options_.counters(rates, scope);
  if (!key) key = options_.key;
  return [counter, rates, key = std::move(key), is_per_route, fail_open = options_.fail_open, stats = stats_](
             http::Request& request, const http::Next& next) -> asio::awaitable<http::Response> {
    // Per route: the same client may use every route's whole budget.
    std::string bucket = is_per_route ? std::string(request.route()) + '|' + key(request) : key(request);
    auto decision = co_await counter->acquire(std::move(bucket));
    if (!decision) {
      stats->store_errors.fetch_add(1, std::memory_order_relaxed);
      spdlog::warn("rate limit store failed: {}", decision.error().message);
      if (!fail_open) co_return http::Response::error({503, "rate_limit_unavailable", "Rate limiting is unavailable", nullptr});
      co_return co_await next(request);
    }
    if (!decision->is_allowed) {
      stats->limited.fetch_add(1, std::memory_order_relaxed);
      auto response = http::Response::error(
          {429, "rate_limited", "Rate limit exceeded: " + rates[decision->refused_by].describe(), nullptr});
      response.set_header(http::Field::retry_after, std::to_string(ceil_seconds(decision->retry_after)));
      set_rate_headers(response, *decision);
      co_return response;
    }
    stats->allowed.fetch_add(1, std::memory_order_relaxed);
    auto response = co_await next(request);
    set_rate_headers(response, *decision);
    co_return response;
  };
}

}  // namespace sluice::limits
