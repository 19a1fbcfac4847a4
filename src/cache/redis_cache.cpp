#include "sluice/cache/redis_cache.hpp"

#include <spdlog/spdlog.h>

namespace sluice::cache {

namespace asio = boost::asio;

RedisCache::RedisCache(std::shared_ptr<client::RedisClient> redis, Options options)
    : redis_(std::move(redis)), options_(std::move(options)) {
  report_to(options_.metrics, options_.name);
}

// Failures are logged at debug level only: during an outage every request would log one, and
// errors() (exported as a counter) is the signal to alert on.
asio::awaitable<std::optional<std::string>> RedisCache::get(std::string key) {
  std::vector<std::string> args;  // no braced list: GCC 12 rejects them inside coroutines
  args.push_back("GET");
  args.push_back(options_.prefix + key);
  auto reply = co_await redis_->command(std::move(args), options_.timeout);
  if (!reply) {
    spdlog::debug("cache get {} failed: {}", key, reply.error().message);
    count_error();
    count_miss();
    co_return std::nullopt;
  }
  if (!reply->is_string()) {
    count_miss();
    co_return std::nullopt;
  }
  count_hit();
  co_return std::move(reply->text);
}

asio::awaitable<void> RedisCache::set(std::string key, std::string value, std::chrono::milliseconds ttl) {
  std::vector<std::string> args;
  args.push_back("SET");
  args.push_back(options_.prefix + key);
  args.push_back(std::move(value));
  if (ttl > no_expiry) {
    args.push_back("PX");
    args.push_back(std::to_string(ttl.count()));
  }
  auto reply = co_await redis_->command(std::move(args), options_.timeout);
  if (!reply) {
    spdlog::debug("cache set {} failed: {}", key, reply.error().message);
    count_error();
  }
}

asio::awaitable<void> RedisCache::erase(std::string key) {
  std::vector<std::string> args;
  args.push_back("DEL");
  args.push_back(options_.prefix + key);
  auto reply = co_await redis_->command(std::move(args), options_.timeout);
  if (!reply) {
    spdlog::debug("cache erase {} failed: {}", key, reply.error().message);
    count_error();
  }
}

}  // namespace sluice::cache
