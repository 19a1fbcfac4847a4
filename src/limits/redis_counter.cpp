#include "sluice/limits/redis_counter.hpp"

#include <fmt/format.h>

namespace sluice::limits {

namespace asio = boost::asio;

namespace {

/// GCRA as in gcra() (rate_limiter.cpp), for every limit of one key at once, in microseconds.
/// ARGV: n, then per limit its interval and period. Returns {allowed, ahead_1 .. ahead_n}: how
/// far each limit's arrival time ran ahead of now before this request.
const client::RedisScript kGcraScript(R"lua(
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local n = tonumber(ARGV[1])
local fields = {}
for i = 1, n do fields[i] = tostring(i) end
local stored = redis.call('HMGET', KEYS[1], unpack(fields))
local ahead = {}
local allowed = 1
for i = 1, n do
  local interval = tonumber(ARGV[2 * i])
  local period = tonumber(ARGV[2 * i + 1])
  local tat = tonumber(stored[i]) or now
  ahead[i] = math.max(tat - now, 0)
  if ahead[i] > period - interval then allowed = 0 end
end
if allowed == 1 then
  local updates = {}
  local longest = 0
  for i = 1, n do
    local next_ahead = ahead[i] + tonumber(ARGV[2 * i])
    updates[2 * i - 1] = fields[i]
    updates[2 * i] = string.format('%d', now + next_ahead)
    if next_ahead > longest then longest = next_ahead end
  end
  redis.call('HSET', KEYS[1], unpack(updates))
  redis.call('PEXPIRE', KEYS[1], math.ceil(longest / 1000))
end
local reply = {allowed}
for i = 1, n do reply[i + 1] = ahead[i] end
return reply
)lua");

using Micros = std::chrono::microseconds;

class RedisCounter final : public RateCounter {
 public:
  RedisCounter(std::shared_ptr<client::RedisClient> redis, std::vector<RateLimit> rates, std::string prefix)
      : redis_(std::move(redis)), rates_(std::move(rates)), prefix_(std::move(prefix)) {
    args_.push_back(std::to_string(rates_.size()));
    for (const auto& rate : rates_) {
      args_.push_back(std::to_string(std::chrono::duration_cast<Micros>(rate.interval()).count()));
      args_.push_back(std::to_string(std::chrono::duration_cast<Micros>(rate.period).count()));
    }
  }

  std::optional<Decision> acquire_now(std::string_view, std::string_view) override { return std::nullopt; }

  asio::awaitable<core::Result<Decision>> acquire(std::string_view route, std::string key) override {
    std::vector<std::string> keys;
    keys.push_back(route.empty() ? prefix_ + key : fmt::format("{}{}|{}", prefix_, route, key));
    auto reply = co_await redis_->eval(kGcraScript, std::move(keys), args_);
    if (!reply) co_return reply.error();
    if (reply->elements.size() != rates_.size() + 1)
      co_return core::Error{502, "redis_error", "unexpected rate-limit script reply", nullptr};
    std::vector<std::chrono::nanoseconds> ahead;
    for (std::size_t i = 0; i < rates_.size(); ++i) ahead.push_back(Micros(reply->elements[i + 1].integer));
    const bool is_allowed = reply->elements[0].integer == 1;
    Decision decision = gcra(rates_, ahead);
    if (decision.is_allowed != is_allowed) {  // a rounding edge between µs (Redis) and ns: Redis decided
      decision.is_allowed = is_allowed;
      decision.remaining = 0;
      if (!is_allowed) decision.retry_after = Micros(1);
    }
    co_return decision;
  }

 private:
  std::shared_ptr<client::RedisClient> redis_;
  std::vector<RateLimit> rates_;
  std::string prefix_;
  std::vector<std::string> args_;
};

}  // namespace

RateCounterFactory redis_counters(std::shared_ptr<client::RedisClient> redis, std::string prefix) {
  return [redis = std::move(redis), prefix = std::move(prefix)](std::vector<RateLimit> rates,
                                                                 std::string scope) -> std::shared_ptr<RateCounter> {
    return std::make_shared<RedisCounter>(redis, std::move(rates), prefix + scope + ':');
  };
}

}  // namespace sluice::limits
