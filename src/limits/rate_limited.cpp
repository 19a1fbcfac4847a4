#include "sluice/limits/rate_limited.hpp"

#include <fmt/format.h>

namespace sluice::limits {

namespace {

long long ceil_seconds(std::chrono::nanoseconds d) {
  return std::chrono::ceil<std::chrono::seconds>(d).count();
}

std::string describe(const RateLimit& rate) {
  auto seconds = std::chrono::duration_cast<std::chrono::seconds>(rate.period).count();
  if (seconds == 86400) return fmt::format("{} per 1 day", rate.limit);
  if (seconds == 3600) return fmt::format("{} per 1 hour", rate.limit);
  if (seconds == 60) return fmt::format("{} per 1 minute", rate.limit);
  return fmt::format("{} per {} second", rate.limit, seconds);
}

void set_rate_headers(http::Response& response, const Decision& decision) {
  auto reset_at = std::chrono::system_clock::now() + decision.reset_after;
  response.set_header("X-RateLimit-Limit", std::to_string(decision.limit));
  response.set_header("X-RateLimit-Remaining", std::to_string(decision.remaining));
  response.set_header("X-RateLimit-Reset",
                      std::to_string(ceil_seconds(reset_at.time_since_epoch())));
}

}  // namespace

std::string client_address_key(const http::Request& request) { return request.client_address().to_string(); }

http::Handler rate_limited(std::shared_ptr<RateLimiter> limiter, http::Handler handler, KeyFunction key) {
  return [limiter = std::move(limiter), handler = std::move(handler),
          key = std::move(key)](http::Request& request) -> boost::asio::awaitable<http::Response> {
    Decision decision = limiter->acquire(key(request));
    if (!decision.is_allowed) {
      auto message = "Rate limit exceeded: " + describe(limiter->rate());
      auto response = http::Response::error({429, "rate_limited", message, nullptr});
      response.set_header(http::Field::retry_after, std::to_string(ceil_seconds(decision.retry_after)));
      set_rate_headers(response, decision);
      co_return response;
    }
    auto response = co_await handler(request);
    set_rate_headers(response, decision);
    co_return response;
  };
}

}  // namespace sluice::limits
