#pragma once
// Declarative rate limits as guards (slowapi's `@limiter.limit("10/minute")`):
//
//   limits::Limiter limiter({.key = limits::by_client_address(proxies)});
//   app.guard(limiter.shared_limit("1000/second", "global"));              // every route together
//   app.get("/ai", ai, {.guards = {limiter.limit("10/minute;100/hour")}});  // this route

#include "sluice/core/error.hpp"
#include "sluice/http/guard.hpp"
#include "sluice/limits/keys.hpp"
#include "sluice/limits/rate_limiter.hpp"
#include "sluice/obs/metrics.hpp"

#include <boost/asio/awaitable.hpp>

#include <atomic>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace sluice::limits {

/// Counts requests against one set of limits, per key: in this process's memory, or in a
/// store several servers share. Errors (the store unreachable) are values.
class RateCounter {
 public:
  virtual ~RateCounter() = default;
  /// Counts a request of `key` (on `route`, empty when the budget is not per route). Counters
  /// in this process answer here, at once; others return nullopt and are asked through acquire().
  virtual std::optional<Decision> acquire_now(std::string_view route, std::string_view key) = 0;
  virtual boost::asio::awaitable<core::Result<Decision>> acquire(std::string_view route, std::string key) = 0;
};

/// Makes the counter for one policy: `rates` counted under the name `scope`.
using RateCounterFactory =
    std::function<std::shared_ptr<RateCounter>(std::vector<RateLimit> rates, std::string scope)>;

/// Counters in memory (sharded GCRA, at most `max_keys` keys per policy).
RateCounterFactory memory_counters(std::size_t max_keys = 100'000);

struct LimiterOptions {
  /// The default key of every limit; empty: the client's address (the connection's peer, read
  /// without a copy — pass by_client_address(proxies) behind proxies).
  KeyFunction key;
  RateCounterFactory counters = memory_counters();
  /// When the counter store fails: true lets the request through (a limiter outage must not
  /// take the API down), false answers 503.
  bool fail_open = true;
  /// RateLimit-* headers on allowed responses too; refusals (429) always carry them. Off by
  /// default, as in slowapi, Flask-Limiter and Envoy: on every response they cost more than
  /// the limit itself (docs/benchmarks.md).
  bool headers_on_success = false;
  /// Where the limiter reports sluice_rate_limit_requests_total{outcome}; none: not reported.
  /// Several limiters reporting to one registry add up.
  std::shared_ptr<obs::Registry> metrics;
};

/// Requests allowed and refused by every limit of one Limiter (for /metrics).
struct LimiterStats {
  std::atomic<std::uint64_t> allowed{0};
  std::atomic<std::uint64_t> limited{0};
  std::atomic<std::uint64_t> store_errors{0};
};

class Limiter {
 public:
  explicit Limiter(LimiterOptions options = {});

  /// A guard counting each route separately (per route pattern and key); `spec` is one or
  /// more limits, "100/second;2000/hour", all of which must allow a request. Over the limit:
  /// 429 `rate_limited` with Retry-After, RateLimit-Limit, RateLimit-Remaining and
  /// RateLimit-Reset (seconds); allowed responses too with `headers_on_success`. Throws
  /// std::invalid_argument for a bad spec.
  std::shared_ptr<http::Guard> limit(std::string_view spec, KeyFunction key = {});
  /// Like limit(), but one budget for every route using `scope` (and every server sharing the store).
  std::shared_ptr<http::Guard> shared_limit(std::string_view spec, std::string scope, KeyFunction key = {});

  const LimiterStats& stats() const { return *stats_; }

 private:
  std::shared_ptr<http::Guard> make(std::string_view spec, std::string scope, bool is_per_route, KeyFunction key);

  LimiterOptions options_;
  std::shared_ptr<LimiterStats> stats_ = std::make_shared<LimiterStats>();
  obs::Collection metrics_;
};

}  // namespace sluice::limits
