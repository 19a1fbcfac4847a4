#pragma once
// A cache shared by every Sluice node: Redis strings with PX expiry, over the async client.

#include "sluice/cache/cache.hpp"
#include "sluice/client/redis_client.hpp"

namespace sluice::cache {

struct RedisCacheOptions {
  std::string prefix = "sluice:cache:";  // prepended to every key, to share a Redis safely
  /// Per call; unset: the client's timeout. Keep it short: a slow cache is worse than none.
  std::optional<std::chrono::milliseconds> timeout;
  /// Where hits, misses and errors are reported, labelled cache=`name`; none: not reported.
  std::shared_ptr<obs::Registry> metrics;
  std::string name = "redis";
};

/// GET / SET key value PX ttl / DEL on `prefix + key`. A Redis outage must not fail requests:
/// an unavailable, slow or erroring Redis makes get() a miss and set()/erase() no-ops, each
/// counted in errors(), so the caller simply recomputes.
class RedisCache final : public Cache {
 public:
  using Options = RedisCacheOptions;
  RedisCache(std::shared_ptr<client::RedisClient> redis, Options options = {});

  boost::asio::awaitable<std::optional<std::string>> get(std::string key) override;
  boost::asio::awaitable<void> set(std::string key, std::string value, std::chrono::milliseconds ttl) override;
  boost::asio::awaitable<void> erase(std::string key) override;

 private:
  std::shared_ptr<client::RedisClient> redis_;
  Options options_;
};

}  // namespace sluice::cache
