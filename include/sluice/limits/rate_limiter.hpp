#pragma once
// Exact rate limits (GCRA): the declarative spelling, the verdict, and the in-memory limiter.

#include <chrono>
#include <cstddef>
#include <functional>
#include <mutex>
#include <span>
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
  /// "N/second", "N/minute", "N/hour", "N/day", "N/30 seconds" (also "N per minute");
  /// throws std::invalid_argument.
  static RateLimit parse(std::string_view text);
  /// Several limits that must all hold, separated by ';' (slowapi's spelling):
  /// "100/second;2000/hour". Throws std::invalid_argument.
  static std::vector<RateLimit> parse_all(std::string_view text);

  /// GCRA's emission interval: the spacing of an even stream (period / limit).
  std::chrono::nanoseconds interval() const { return period / static_cast<long>(limit); }
  /// "10 per 1 minute", for error messages.
  std::string describe() const;
};

/// The verdict for one request, with what the RateLimit-* headers report: the limit closest
/// to exhaustion when allowed, the one that refused when not.
struct Decision {
  bool is_allowed;
  std::size_t limit;
  std::size_t remaining;                 // requests still allowed right now
  std::chrono::nanoseconds reset_after;  // until the full limit is available again
  std::chrono::nanoseconds retry_after;  // until the next request is allowed (0 when allowed)
  std::size_t limit_index = 0;           // which limit these numbers describe
};

/// Generic Cell Rate Algorithm: one timestamp per key and limit (its "theoretical arrival
/// time"), so limits are exact, with no window-boundary bursts, in O(1) memory per key. With
/// several limits a request is counted only when every limit allows it. Keys live in `shards`
/// independently locked maps; each keeps at most `max_keys / shards` keys, evicting keys whose
/// state has fully decayed first and the oldest otherwise.
class RateLimiter {
 public:
  using Clock = std::chrono::steady_clock;

  explicit RateLimiter(RateLimit rate, std::size_t max_keys = 100'000, std::size_t shards = 16);
  explicit RateLimiter(std::vector<RateLimit> rates, std::size_t max_keys = 100'000, std::size_t shards = 16);

  Decision acquire(std::string_view key, Clock::time_point now = Clock::now());
  std::size_t tracked_keys() const;
  const std::vector<RateLimit>& rates() const { return rates_; }

 private:
  using Arrivals = std::vector<Clock::time_point>;  // per limit
  /// A key with its hash, computed once for both the shard and the map lookup.
  struct HashedKey {
    std::string_view text;
    std::size_t hash;
  };
  struct KeyHash {  // transparent: lookups build no std::string
    using is_transparent = void;
    std::size_t operator()(std::string_view key) const { return std::hash<std::string_view>{}(key); }
    std::size_t operator()(const HashedKey& key) const { return key.hash; }
  };
  struct KeyEqual {
    using is_transparent = void;
    bool operator()(std::string_view a, std::string_view b) const { return a == b; }
    bool operator()(const HashedKey& a, std::string_view b) const { return a.text == b; }
    bool operator()(std::string_view a, const HashedKey& b) const { return a == b.text; }
  };
  struct Shard {
    mutable std::mutex mutex;
    std::unordered_map<std::string, Arrivals, KeyHash, KeyEqual> arrival;  // key → arrival times
  };
  void make_room(Shard& shard, Clock::time_point now);

  std::vector<RateLimit> rates_;
  std::size_t keys_per_shard_;
  std::vector<Shard> shards_;
};

/// GCRA for several limits at once, shared by the memory and Redis limiters so both count
/// alike: given each limit's stored arrival time (already raised to `now`), decides and, when
/// allowed, advances them.
Decision gcra(const std::vector<RateLimit>& rates, std::span<std::chrono::nanoseconds> ahead);

}  // namespace sluice::limits
