#pragma once
// An exact in-memory rate limiter (GCRA), sharded, with bounded memory.

#include <chrono>
#include <cstddef>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace sluice::limits {

/// "10 requests per minute". Parse from text with RateLimit::parse("10/minute").
struct RateLimit {
  std::size_t limit;
  std::chrono::nanoseconds period;

  static RateLimit per_second(std::size_t n) { return {n, std::chrono::seconds(1)}; }
  static RateLimit per_minute(std::size_t n) { return {n, std::chrono::minutes(1)}; }
  static RateLimit per_hour(std::size_t n) { return {n, std::chrono::hours(1)}; }
  /// "N/second", "N/minute", "N/hour", "N/day" (also "N per minute"); throws std::invalid_argument.
  static RateLimit parse(std::string_view text);
};

/// The verdict for one request, with what the RateLimit-* headers report.
struct Decision {
  bool is_allowed;
  std::size_t limit;
  std::size_t remaining;                 // requests still allowed right now
  std::chrono::nanoseconds reset_after;  // until the full limit is available again
  std::chrono::nanoseconds retry_after;  // until the next request is allowed (0 when allowed)
};

/// Generic Cell Rate Algorithm: one timestamp per key (its "theoretical arrival time"), so the
/// limit is exact, with no window-boundary bursts, in O(1) memory per key. Keys live in
/// `shards` independently locked maps; each keeps at most `max_keys / shards` keys, evicting
/// keys whose state has fully decayed first and the oldest otherwise.
class RateLimiter {
 public:
  using Clock = std::chrono::steady_clock;

  explicit RateLimiter(RateLimit rate, std::size_t max_keys = 100'000, std::size_t shards = 16);

  Decision acquire(std::string_view key, Clock::time_point now = Clock::now());
  std::size_t tracked_keys() const;
  const RateLimit& rate() const { return rate_; }

 private:
  struct Shard {
    mutable std::mutex mutex;
    std::unordered_map<std::string, Clock::time_point> arrival;  // key → theoretical arrival time
  };
  void make_room(Shard& shard, Clock::time_point now);

  RateLimit rate_;
  std::chrono::nanoseconds interval_;   // period / limit: the spacing of an even stream
  std::chrono::nanoseconds tolerance_;  // period - interval: how far ahead a burst may run
  std::size_t keys_per_shard_;
  std::vector<Shard> shards_;
};

}  // namespace sluice::limits
