#include "sluice/limits/rate_limiter.hpp"

#include <algorithm>
#include <charconv>
#include <functional>
#include <stdexcept>

namespace sluice::limits {

RateLimit RateLimit::parse(std::string_view text) {
  auto fail = [&] { return std::invalid_argument("invalid rate limit '" + std::string(text) + "'"); };
  auto separator = text.find('/');
  std::size_t unit_start = separator == std::string_view::npos ? text.find(" per ") : separator;
  if (unit_start == std::string_view::npos) throw fail();
  std::string_view count = text.substr(0, unit_start);
  std::string_view unit = text.substr(unit_start + (separator == std::string_view::npos ? 5 : 1));
  while (!count.empty() && count.back() == ' ') count.remove_suffix(1);
  while (!unit.empty() && unit.front() == ' ') unit.remove_prefix(1);
  std::size_t n = 0;
  auto [end, ec] = std::from_chars(count.data(), count.data() + count.size(), n);
  if (ec != std::errc{} || end != count.data() + count.size() || n == 0) throw fail();
  if (unit == "second" || unit == "s") return per_second(n);
  if (unit == "minute" || unit == "m") return per_minute(n);
  if (unit == "hour" || unit == "h") return per_hour(n);
  if (unit == "day" || unit == "d") return {n, std::chrono::hours(24)};
  throw fail();
}

RateLimiter::RateLimiter(RateLimit rate, std::size_t max_keys, std::size_t shards)
    : rate_(rate),
      interval_(rate.period / static_cast<long>(rate.limit)),
      tolerance_(rate.period - interval_),
      keys_per_shard_(std::max<std::size_t>(1, max_keys / std::max<std::size_t>(1, shards))),
      shards_(std::max<std::size_t>(1, shards)) {
  if (rate.limit == 0 || rate.period <= std::chrono::nanoseconds::zero())
    throw std::invalid_argument("rate limit must allow at least one request per positive period");
}

void RateLimiter::make_room(Shard& shard, Clock::time_point now) {
  // A key whose arrival time has passed has its whole limit back: forgetting it changes nothing.
  std::erase_if(shard.arrival, [now](const auto& entry) { return entry.second <= now; });
  if (shard.arrival.size() < keys_per_shard_) return;
  auto oldest = std::min_element(shard.arrival.begin(), shard.arrival.end(),
                                 [](const auto& a, const auto& b) { return a.second < b.second; });
  shard.arrival.erase(oldest);
}

Decision RateLimiter::acquire(std::string_view key, Clock::time_point now) {
  Shard& shard = shards_[std::hash<std::string_view>{}(key) % shards_.size()];
  std::lock_guard lock(shard.mutex);
  auto it = shard.arrival.find(std::string(key));
  Clock::time_point arrival = it == shard.arrival.end() ? now : std::max(it->second, now);

  Decision decision{false, rate_.limit, 0, arrival - now, std::chrono::nanoseconds::zero()};
  if (arrival - now > tolerance_) {
    decision.retry_after = arrival - now - tolerance_;
    return decision;
  }
  arrival += interval_;
  if (it == shard.arrival.end()) {
    if (shard.arrival.size() >= keys_per_shard_) make_room(shard, now);
    shard.arrival.emplace(std::string(key), arrival);
  } else {
    it->second = arrival;
  }
  decision.is_allowed = true;
  decision.reset_after = arrival - now;
  decision.remaining = static_cast<std::size_t>((rate_.period - (arrival - now)) / interval_);
  return decision;
}

std::size_t RateLimiter::tracked_keys() const {
  std::size_t total = 0;
  for (const auto& shard : shards_) {
    std::lock_guard lock(shard.mutex);
    total += shard.arrival.size();
  }
  return total;
}

}  // namespace sluice::limits
