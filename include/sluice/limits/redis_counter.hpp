#pragma once
// Rate-limit counts in Redis: one budget shared by every server that uses the same Redis.

#include "sluice/client/redis_client.hpp"
#include "sluice/limits/limiter.hpp"

#include <memory>
#include <string>

namespace sluice::limits {

/// Counters kept in Redis by one atomic script per request (GCRA over all the policy's limits,
/// with Redis's clock, so servers' clocks need not agree). Keys are `prefix + scope + ':' +
/// client key` and expire when their budget is whole again, so Redis memory stays bounded.
RateCounterFactory redis_counters(std::shared_ptr<client::RedisClient> redis, std::string prefix = "sluice:ratelimit:");

}  // namespace sluice::limits
