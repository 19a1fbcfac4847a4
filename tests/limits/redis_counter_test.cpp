// Rate limits counted in a real Redis: one budget for several servers, exact under bursts.
#include "raw_http.hpp"
#include "redis_server.hpp"
#include "test_app.hpp"

#include "sluice/limits/redis_counter.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <gtest/gtest.h>

#include <thread>

namespace sluice::limits {
namespace {

namespace asio = boost::asio;
using http::Request;
using http::Response;

asio::awaitable<Response> ok(Request&) { co_return Response::json({{"ok", true}}); }

/// A server with its own Redis client (as a separate process would have) limiting /x.
struct LimitedServer {
  LimitedServer(const std::string& redis_url, const std::string& spec, LimiterOptions options = {})
      : redis(std::make_shared<client::RedisClient>(client::RedisOptions{.url = redis_url})) {
    options.counters = redis_counters(redis, "test:rl:");
    limiter.emplace(std::move(options));
    app.get("/x", ok, {.guards = {limiter->limit(spec)}});
    running.emplace(app, http::ServerOptions{.io_threads = 2});
  }
  int status() { return test::request(running->port(), "GET", "/x")->status; }

  std::shared_ptr<client::RedisClient> redis;
  std::optional<Limiter> limiter;
  App app{1};
  std::optional<test::RunningApp> running;
};

TEST(RedisRateLimit, TwoServersShareOneExactBudget) {
  test::RedisServer redis;
  LimitedServer a(redis.url(), "15/minute");
  LimitedServer b(redis.url(), "15/minute");
  std::atomic<int> allowed{0}, limited{0};
  std::vector<std::thread> clients;
  for (int t = 0; t < 6; ++t)
    clients.emplace_back([&, t] {
      for (int i = 0; i < 10; ++i) {
        int status = (t % 2 ? a : b).status();
        (status == 200 ? allowed : limited)++;
      }
    });
  for (auto& client : clients) client.join();
  EXPECT_EQ(allowed.load(), 15);
  EXPECT_EQ(limited.load(), 45);
  EXPECT_EQ(a.limiter->stats().allowed + b.limiter->stats().allowed, 15u);
}

TEST(RedisRateLimit, HeadersAndSeveralLimitsAsInMemory) {
  test::RedisServer redis;
  LimitedServer server(redis.url(), "2/second;3/hour", {.headers_on_success = true});
  auto first = test::request(server.running->port(), "GET", "/x");
  EXPECT_EQ(first->header("ratelimit-limit"), "2");
  EXPECT_EQ(first->header("ratelimit-remaining"), "1");
  EXPECT_EQ(server.status(), 200);
  auto third = test::request(server.running->port(), "GET", "/x");
  EXPECT_EQ(third->status, 429);
  EXPECT_EQ(third->header("retry-after"), "1");
  std::this_thread::sleep_for(std::chrono::milliseconds(1100));
  EXPECT_EQ(server.status(), 200);  // the hour's third
  EXPECT_EQ(server.status(), 429);  // the hour is spent
}

TEST(RedisRateLimit, KeysExpireOnceTheBudgetIsWhole) {
  test::RedisServer redis;
  LimitedServer server(redis.url(), "5/second");
  EXPECT_EQ(server.status(), 200);
  EXPECT_EQ(server.status(), 200);  // a second write of the same key
  client::RedisClient probe({.url = redis.url()});
  asio::io_context io;
  std::optional<core::Result<client::RedisReply>> keys, pttl;
  asio::co_spawn(
      io,
      [&]() -> asio::awaitable<void> {
        // Arguments built outside braces: GCC 12 miscompiles initializer lists in coroutines.
        std::vector<std::string> args(1, "KEYS");
        args.push_back("test:rl:*");
        keys = co_await probe.command(args);
        if (*keys && !(*keys)->elements.empty()) {
          args[0] = "PTTL";
          args[1] = (*keys)->elements[0].text;
          pttl = co_await probe.command(args);
        }
        probe.close();
      },
      asio::detached);
  io.run();
  ASSERT_TRUE(keys && *keys);
  ASSERT_EQ((*keys)->elements.size(), 1u);
  ASSERT_TRUE(pttl && *pttl);
  EXPECT_GT((*pttl)->integer, 0);
  EXPECT_LE((*pttl)->integer, 400);  // two 200 ms intervals at most
}

TEST(RedisRateLimit, StoreOutageFailsOpenOrClosedAsConfigured) {
  test::RedisServer redis;
  LimitedServer open(redis.url(), "1/minute");
  LimitedServer closed(redis.url(), "1/minute", {.fail_open = false});
  redis.stop();
  EXPECT_EQ(open.status(), 200);
  EXPECT_EQ(open.status(), 200);  // uncounted while Redis is away
  EXPECT_EQ(open.limiter->stats().store_errors.load(), 2u);
  EXPECT_EQ(closed.status(), 503);
  redis.start();
  EXPECT_EQ(open.status(), 200);
  EXPECT_EQ(open.status(), 429);  // counting again
}

}  // namespace
}  // namespace sluice::limits
