#include "sluice/limits/rate_limiter.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <functional>
#include <stdexcept>

namespace sluice::limits {

namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && s.front() == ' ') s.remove_prefix(1);
  while (!s.empty() && s.back() == ' ') s.remove_suffix(1);
  return s;
}

std::chrono::nanoseconds unit_period(std::string_view unit) {
  if (unit.size() > 1 && unit.back() == 's') unit.remove_suffix(1);  // "30 seconds"
  if (unit == "second" || unit == "s") return std::chrono::seconds(1);
  if (unit == "minute" || unit == "m") return std::chrono::minutes(1);
  if (unit == "hour" || unit == "h") return std::chrono::hours(1);
  if (unit == "day" || unit == "d") return std::chrono::hours(24);
  return std::chrono::nanoseconds::zero();
}

bool parse_count(std::string_view text, std::size_t& n) {
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
  return ec == std::errc{} && end == text.data() + text.size() && n > 0;
}

}  // namespace

RateLimit RateLimit::parse(std::string_view text) {
  auto fail = [&] { return std::invalid_argument("invalid rate limit '" + std::string(text) + "'"); };
  auto separator = text.find('/');
  std::size_t unit_start = separator == std::string_view::npos ? text.find(" per ") : separator;
  if (unit_start == std::string_view::npos) throw fail();
  std::size_t n = 0;
  if (!parse_count(trim(text.substr(0, unit_start)), n)) throw fail();
  std::string_view unit = trim(text.substr(unit_start + (separator == std::string_view::npos ? 5 : 1)));
  std::size_t multiple = 1;  // "100/30 seconds"
  if (auto space = unit.find(' '); space != std::string_view::npos) {
    if (!parse_count(unit.substr(0, space), multiple)) throw fail();
    unit = trim(unit.substr(space + 1));
  }
  auto period = unit_period(unit);
  if (period == std::chrono::nanoseconds::zero()) throw fail();
  return {n, period * static_cast<long>(multiple)};
}

std::vector<RateLimit> RateLimit::parse_all(std::string_view text) {
  std::vector<RateLimit> limits;
  for (std::size_t start = 0; start <= text.size();) {
    auto end = std::min(text.find(';', start), text.size());
    limits.push_back(parse(trim(text.substr(start, end - start))));
    start = end + 1;
  }
  return limits;
}

std::string RateLimit::describe() const {
  auto seconds = std::chrono::duration_cast<std::chrono::seconds>(period).count();
  if (seconds == 86400) return fmt::format("{} per 1 day", limit);
  if (seconds == 3600) return fmt::format("{} per 1 hour", limit);
  if (seconds == 60) return fmt::format("{} per 1 minute", limit);
  return fmt::format("{} per {} second", limit, seconds);
}

Decision gcra(const std::vector<RateLimit>& rates, std::span<std::chrono::nanoseconds> ahead) {
  Decision decision{true, 0, 0, {}, {}};
  for (std::size_t i = 0; i < rates.size(); ++i) {
    const auto tolerance = rates[i].period - rates[i].interval();  // how far ahead a burst may run
    if (ahead[i] <= tolerance) continue;
    const auto wait = ahead[i] - tolerance;
    if (decision.is_allowed || wait > decision.retry_after) {
      decision = {false, rates[i].limit, 0, ahead[i], wait, i};  // the longest wait decides
    }
  }
  if (!decision.is_allowed) return decision;
  bool first = true;
  for (std::size_t i = 0; i < rates.size(); ++i) {
    ahead[i] += rates[i].interval();
    auto remaining = static_cast<std::size_t>((rates[i].period - ahead[i]) / rates[i].interval());
    if (first || remaining < decision.remaining) {
      decision.limit = rates[i].limit;
      decision.remaining = remaining;
      decision.reset_after = ahead[i];
      decision.limit_index = i;
      first = false;
    }
  }
  return decision;
}

RateLimiter::RateLimiter(RateLimit rate, std::size_t max_keys, std::size_t shards)
    : RateLimiter(std::vector<RateLimit>{rate}, max_keys, shards) {}

RateLimiter::RateLimiter(std::vector<RateLimit> rates, std::size_t max_keys, std::size_t shards)
    : rates_(std::move(rates)),
      keys_per_shard_(std::max<std::size_t>(1, max_keys / std::max<std::size_t>(1, shards))),
      shards_(std::max<std::size_t>(1, shards)) {
  if (rates_.empty()) throw std::invalid_argument("a rate limiter needs at least one limit");
  for (const auto& rate : rates_)
    if (rate.limit == 0 || rate.period <= std::chrono::nanoseconds::zero())
      throw std::invalid_argument("rate limit must allow at least one request per positive period");
}

void RateLimiter::make_room(Shard& shard, Clock::time_point now) {
  // A key whose arrival times have all passed has its whole limit back: forgetting it changes nothing.
  auto latest = [](const Arrivals& a) { return *std::max_element(a.begin(), a.end()); };
  std::erase_if(shard.arrival, [&](const auto& entry) { return latest(entry.second) <= now; });
  if (shard.arrival.size() < keys_per_shard_) return;
  auto oldest = std::min_element(shard.arrival.begin(), shard.arrival.end(), [&](const auto& a, const auto& b) {
    return latest(a.second) < latest(b.second);
  });
  shard.arrival.erase(oldest);
}

Decision RateLimiter::acquire(std::string_view key, Clock::time_point now) {
  const std::size_t hash = KeyHash{}(key);
  // High bits pick the shard: the map inside uses the low ones for its buckets.
  Shard& shard = shards_[(hash >> 32) % shards_.size()];
  // On the stack for the usual handful of limits.
  std::array<std::chrono::nanoseconds, 4> small{};
  std::vector<std::chrono::nanoseconds> large(rates_.size() > small.size() ? rates_.size() : 0);
  std::span<std::chrono::nanoseconds> ahead = large.empty() ? std::span(small).first(rates_.size()) : std::span(large);
  std::lock_guard lock(shard.mutex);
  auto it = shard.arrival.find(HashedKey{key, hash});
  if (it != shard.arrival.end())
    for (std::size_t i = 0; i < rates_.size(); ++i) ahead[i] = std::max(it->second[i] - now, std::chrono::nanoseconds{});
  Decision decision = gcra(rates_, ahead);
  if (!decision.is_allowed) return decision;
  if (it == shard.arrival.end()) {
    if (shard.arrival.size() >= keys_per_shard_) make_room(shard, now);
    it = shard.arrival.emplace(std::string(key), Arrivals(rates_.size())).first;
  }
  for (std::size_t i = 0; i < rates_.size(); ++i) it->second[i] = now + ahead[i];
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
