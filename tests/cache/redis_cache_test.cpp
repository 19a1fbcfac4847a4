// The Redis-backed cache against a real redis-server, outage included.
#include "sluice/cache/redis_cache.hpp"

#include "redis_server.hpp"

#include <gtest/gtest.h>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>

#include <functional>

namespace sluice::cache {
namespace {

using namespace std::chrono_literals;
namespace asio = boost::asio;

/// Runs `body` on a fresh event loop; stops it when done (the client's connection would keep
/// it running otherwise).
void run_on_loop(std::function<asio::awaitable<void>()> body) {
  asio::io_context io;
  asio::co_spawn(
      io,
      [&]() -> asio::awaitable<void> {
        co_await body();
        io.stop();
      },
      asio::detached);
  io.run();
}

class RedisCacheTest : public ::testing::Test {
 protected:
  test::RedisServer server;
  std::shared_ptr<client::RedisClient> redis =
      std::make_shared<client::RedisClient>(client::RedisOptions{.url = server.url(), .timeout = 2s});
  RedisCache cache{redis, {.prefix = "test:"}};

  std::optional<std::string> get(std::string key) {
    std::optional<std::string> out;
    run_on_loop([&]() -> asio::awaitable<void> { out = co_await cache.get(key); });
    return out;
  }
  void set(std::string key, std::string value, std::chrono::milliseconds ttl) {
    run_on_loop([&]() { return cache.set(key, value, ttl); });
  }
  /// A raw command, to see what the cache stored.
  client::RedisReply raw(std::vector<std::string> args) {
    std::optional<client::RedisReply> out;
    run_on_loop([&]() -> asio::awaitable<void> {
      auto reply = co_await redis->command(args);
      if (reply) out = std::move(*reply);
    });
    return out.value();
  }
};

TEST_F(RedisCacheTest, StoresUnderThePrefixWithPxExpiry) {
  const std::string value("bin\0ary\r\n", 9);
  set("answer", value, 60s);
  EXPECT_EQ(get("answer"), value);
  EXPECT_EQ(raw({"GET", "test:answer"}).text, value);
  auto ttl = raw({"PTTL", "test:answer"}).integer;
  EXPECT_GT(ttl, 0);
  EXPECT_LE(ttl, 60'000);
  set("forever", "x", no_expiry);
  EXPECT_EQ(raw({"PTTL", "test:forever"}).integer, -1);  // no expiry set
}

TEST_F(RedisCacheTest, EntriesExpire) {
  set("soon", "x", 1ms);
  // Redis expires it; wait for that through Redis itself rather than a fixed sleep.
  for (int i = 0; i < 1000 && raw({"EXISTS", "test:soon"}).integer == 1; ++i) std::this_thread::sleep_for(1ms);
  EXPECT_EQ(get("soon"), std::nullopt);
}

TEST_F(RedisCacheTest, EraseAndCounters) {
  set("k", "v", 60s);
  EXPECT_EQ(get("k"), "v");
  run_on_loop([&]() { return cache.erase("k"); });
  EXPECT_EQ(get("k"), std::nullopt);
  EXPECT_EQ(cache.hits(), 1u);
  EXPECT_EQ(cache.misses(), 1u);
  EXPECT_EQ(cache.errors(), 0u);
}

TEST_F(RedisCacheTest, AnOutageIsAMissNotAFailure) {
  set("k", "v", 60s);
  server.stop();
  EXPECT_EQ(get("k"), std::nullopt);
  set("k", "w", 60s);  // dropped, not thrown
  EXPECT_EQ(cache.misses(), 1u);
  EXPECT_EQ(cache.errors(), 2u);
  server.start();
  EXPECT_EQ(get("k"), "v");  // back, with what it had (append-only file)
  EXPECT_EQ(cache.hits(), 1u);
}

}  // namespace
}  // namespace sluice::cache
