// The async Redis client against a real redis-server on loopback (tests/support/redis_server).
#include "sluice/client/redis_client.hpp"

#include "redis_server.hpp"

#include <gtest/gtest.h>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <functional>
#include <optional>
#include <string>

namespace sluice::client {
namespace {

using namespace std::chrono_literals;
namespace asio = boost::asio;
using Reply = core::Result<RedisReply>;
using Args = std::vector<std::string>;

/// Runs `body` on a private event loop, then stops the loop (the client's connection would
/// otherwise keep it running) and destroys it, with the connections opened on it.
template <class T>
T run_on_loop(std::function<asio::awaitable<T>()> body) {
  asio::io_context io;
  std::optional<T> out;
  asio::co_spawn(
      io,
      [&]() -> asio::awaitable<void> {
        auto value = co_await body();
        out.emplace(std::move(value));
        io.stop();
      },
      asio::detached);
  io.run();
  return std::move(*out);
}

/// A command's arguments without a braced list, which GCC 12 rejects inside coroutines.
template <class... Parts>
Args cmd(Parts&&... parts) {
  Args args;
  (args.emplace_back(std::forward<Parts>(parts)), ...);
  return args;
}

Reply run_command(RedisClient& client, Args args) {
  return run_on_loop<Reply>([&]() { return client.command(args); });
}

class RedisClientTest : public ::testing::Test {
 protected:
  test::RedisServer server;
  RedisClient client{{.url = server.url()}};
};

TEST_F(RedisClientTest, SetsAndGets) {
  auto set = run_command(client, {"SET", "greeting", "hello"});
  ASSERT_TRUE(set) << set.error().message;
  EXPECT_EQ(set->type, RedisReply::Type::status);
  EXPECT_EQ(set->text, "OK");

  auto get = run_command(client, {"GET", "greeting"});
  ASSERT_TRUE(get) << get.error().message;
  EXPECT_EQ(get->type, RedisReply::Type::string);
  EXPECT_EQ(get->text, "hello");

  auto missing = run_command(client, {"GET", "nobody"});
  ASSERT_TRUE(missing);
  EXPECT_TRUE(missing->is_nil());
}

TEST_F(RedisClientTest, ArgumentsAndValuesAreBinarySafe) {
  std::string value;
  for (int i = 0; i < 256; ++i) value.push_back(static_cast<char>(i));
  value += "\r\n$3\r\n*1\r\n";  // RESP framing inside a value must not confuse either side
  const std::string key("key with\0nul and\r\nnewline", 25);
  ASSERT_TRUE(run_command(client, {"SET", key, value}));
  auto get = run_command(client, {"GET", key});
  ASSERT_TRUE(get);
  EXPECT_EQ(get->text, value);
  auto length = run_command(client, {"STRLEN", key});
  ASSERT_TRUE(length);
  EXPECT_EQ(length->integer, static_cast<std::int64_t>(value.size()));
}

TEST_F(RedisClientTest, ArraysAndIntegersConvert) {
  ASSERT_TRUE(run_command(client, {"RPUSH", "list", "a", "", "c"}));
  auto range = run_command(client, {"LRANGE", "list", "0", "-1"});
  ASSERT_TRUE(range);
  ASSERT_EQ(range->type, RedisReply::Type::array);
  ASSERT_EQ(range->elements.size(), 3u);
  EXPECT_EQ(range->elements[0].text, "a");
  EXPECT_EQ(range->elements[1].text, "");
  EXPECT_EQ(range->elements[2].text, "c");
}

TEST_F(RedisClientTest, ConcurrentCallsOnOneThreadShareOnePipelinedConnection) {
  constexpr int kCalls = 1000;
  auto mismatches = run_on_loop<int>([&]() -> asio::awaitable<int> {
    auto executor = co_await asio::this_coro::executor;
    int done = 0;
    int wrong = 0;
    asio::steady_timer all_done(executor, std::chrono::steady_clock::time_point::max());
    for (int i = 0; i < kCalls; ++i) {
      asio::co_spawn(
          executor,
          [&, i]() -> asio::awaitable<void> {
            auto key = "counter:" + std::to_string(i);
            auto incremented = co_await client.command(cmd("INCRBY", key, std::to_string(i)));
            auto read = co_await client.command(cmd("GET", key));
            if (!incremented || incremented->integer != i || !read || read->text != std::to_string(i)) ++wrong;
            if (++done == kCalls) all_done.cancel();
          },
          asio::detached);
    }
    co_await all_done.async_wait(asio::as_tuple(asio::use_awaitable));
    // Every call above went over one connection: this loop's.
    auto info = co_await client.command(cmd("INFO", "clients"));
    if (!info || info->text.find("connected_clients:1\r\n") == std::string::npos) ++wrong;
    co_return wrong;
  });
  EXPECT_EQ(mismatches, 0);
}

TEST_F(RedisClientTest, SelectsTheDatabaseNamedInTheUrl) {
  RedisClient db3({.url = server.url() + "/3"});
  ASSERT_TRUE(run_command(db3, {"SET", "where", "db3"}));
  auto in_db0 = run_command(client, {"GET", "where"});
  ASSERT_TRUE(in_db0);
  EXPECT_TRUE(in_db0->is_nil());
  auto in_db3 = run_command(db3, {"GET", "where"});
  ASSERT_TRUE(in_db3);
  EXPECT_EQ(in_db3->text, "db3");
}

TEST_F(RedisClientTest, AuthenticatesWithThePasswordInTheUrl) {
  ASSERT_TRUE(run_command(client, {"CONFIG", "SET", "requirepass", "s3cret"}));
  const auto port = std::to_string(server.port());
  RedisClient with_password({.url = "redis://:s3cret@127.0.0.1:" + port + "/2"});
  auto ping = run_command(with_password, {"PING"});
  ASSERT_TRUE(ping) << ping.error().message;
  EXPECT_EQ(ping->text, "PONG");
  RedisClient wrong_password({.url = "redis://:nope@127.0.0.1:" + port});
  auto refused = run_command(wrong_password, {"PING"});
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, "redis_unavailable");
  RedisClient without({.url = "redis://127.0.0.1:" + port});
  auto denied = run_command(without, {"PING"});
  ASSERT_FALSE(denied);
  EXPECT_EQ(denied.error().code, "redis_error");  // NOAUTH: the server's answer, not a broken link
}

TEST_F(RedisClientTest, AFailingHandshakeFailsTheCall) {
  RedisClient bad_db({.url = server.url() + "/99"});  // the server has 16 databases
  auto reply = run_command(bad_db, {"PING"});
  ASSERT_FALSE(reply);
  EXPECT_EQ(reply.error().code, "redis_unavailable");
}

TEST_F(RedisClientTest, RejectsUrlsThatAreNotRedisUrls) {
  EXPECT_THROW(RedisClient({.url = "http://127.0.0.1:6379"}), std::invalid_argument);
  EXPECT_THROW(RedisClient({.url = "redis://127.0.0.1:6379/x"}), std::invalid_argument);
  EXPECT_THROW(RedisClient({.url = "redis://127.0.0.1:/0"}), std::invalid_argument);
  EXPECT_THROW(RedisClient({.url = "redis://127.0.0.1:99999"}), std::invalid_argument);
}

TEST_F(RedisClientTest, ErrorRepliesAreErrorsAndTheConnectionStaysUsable) {
  auto results = run_on_loop<std::vector<Reply>>([&]() -> asio::awaitable<std::vector<Reply>> {
    std::vector<Reply> out;
    out.push_back(co_await client.command(cmd("SET", "text", "abc")));
    out.push_back(co_await client.command(cmd("INCR", "text")));
    out.push_back(co_await client.command(cmd("NO-SUCH-COMMAND")));
    out.push_back(co_await client.command(cmd()));
    out.push_back(co_await client.command(cmd("GET", "text")));
    co_return out;
  });
  ASSERT_TRUE(results[0]);
  ASSERT_FALSE(results[1]);
  EXPECT_EQ(results[1].error().code, "redis_error");
  EXPECT_EQ(results[1].error().status, 502u);
  EXPECT_NE(results[1].error().message.find("not an integer"), std::string::npos) << results[1].error().message;
  ASSERT_FALSE(results[2]);
  EXPECT_EQ(results[2].error().code, "redis_error");
  ASSERT_FALSE(results[3]);  // refused here: Redis would not answer it at all
  ASSERT_TRUE(results[4]);
  EXPECT_EQ(results[4]->text, "abc");
}

TEST_F(RedisClientTest, EvalLoadsTheScriptAfterNoscript) {
  RedisScript script("return {KEYS[1], ARGV[1], redis.call('INCR', KEYS[1])}");
  auto loaded = run_command(client, {"SCRIPT", "LOAD", script.body()});
  ASSERT_TRUE(loaded);
  EXPECT_EQ(loaded->text, script.sha());  // our SHA-1 is the server's, so EVALSHA can hit
  ASSERT_TRUE(run_command(client, {"SCRIPT", "FLUSH"}));

  auto results = run_on_loop<std::vector<Reply>>([&]() -> asio::awaitable<std::vector<Reply>> {
    std::vector<Reply> out;
    out.push_back(co_await client.eval(script, cmd("hits"), cmd("first")));  // NOSCRIPT, then EVAL
    out.push_back(co_await client.command(cmd("SCRIPT", "EXISTS", script.sha())));
    out.push_back(co_await client.eval(script, cmd("hits"), cmd("second")));  // EVALSHA
    co_return out;
  });
  ASSERT_TRUE(results[0]) << results[0].error().message;
  ASSERT_EQ(results[0]->elements.size(), 3u);
  EXPECT_EQ(results[0]->elements[0].text, "hits");
  EXPECT_EQ(results[0]->elements[1].text, "first");
  EXPECT_EQ(results[0]->elements[2].integer, 1);
  ASSERT_TRUE(results[1]);
  ASSERT_EQ(results[1]->elements.size(), 1u);
  EXPECT_EQ(results[1]->elements[0].integer, 1);  // EVAL put it in the script cache
  ASSERT_TRUE(results[2]);
  EXPECT_EQ(results[2]->elements[1].text, "second");
  EXPECT_EQ(results[2]->elements[2].integer, 2);
}

TEST_F(RedisClientTest, ScriptErrorsAreErrors) {
  RedisScript script("return redis.error_reply('BOOM nope')");
  auto reply = run_on_loop<Reply>([&]() { return client.eval(script, cmd(), cmd()); });
  ASSERT_FALSE(reply);
  EXPECT_EQ(reply.error().code, "redis_error");
  EXPECT_NE(reply.error().message.find("BOOM"), std::string::npos);
}

TEST_F(RedisClientTest, UnreachableServerIsAnErrorValue) {
  server.stop();
  auto reply = run_command(client, {"PING"});
  ASSERT_FALSE(reply);
  EXPECT_EQ(reply.error().code, "redis_unavailable");
  EXPECT_EQ(reply.error().status, 502u);
}

TEST_F(RedisClientTest, ReconnectsOnTheSameLoopAfterTheServerRestarts) {
  auto results = run_on_loop<std::vector<Reply>>([&]() -> asio::awaitable<std::vector<Reply>> {
    std::vector<Reply> out;
    out.push_back(co_await client.command(cmd("SET", "durable", "yes")));
    server.stop();  // the loop's connection is now dead
    out.push_back(co_await client.command(cmd("GET", "durable")));
    out.push_back(co_await client.command(cmd("GET", "durable")));  // refused: nothing listens
    server.start();
    out.push_back(co_await client.command(cmd("GET", "durable")));
    co_return out;
  });
  ASSERT_TRUE(results[0]);
  ASSERT_FALSE(results[1]);
  EXPECT_EQ(results[1].error().code, "redis_unavailable");
  ASSERT_FALSE(results[2]);
  EXPECT_EQ(results[2].error().code, "redis_unavailable");
  ASSERT_TRUE(results[3]) << results[3].error().message;
  EXPECT_EQ(results[3]->text, "yes");  // append-only file kept it across the restart
}

TEST_F(RedisClientTest, ACallMadeWhileRedisIsDownSucceedsOnceItIsBackWithinTheDeadline) {
  ASSERT_TRUE(run_command(client, {"SET", "durable", "yes"}));
  server.stop();
  auto result = run_on_loop<Reply>([&]() -> asio::awaitable<Reply> {
    auto executor = co_await asio::this_coro::executor;
    // Redis comes back while the call below is being retried (refused, then backing off).
    asio::co_spawn(
        executor,
        [&]() -> asio::awaitable<void> {
          asio::steady_timer later(executor, 200ms);
          co_await later.async_wait(asio::use_awaitable);
          server.start();
        },
        asio::detached);
    co_return co_await client.command(cmd("GET", "durable"), 20s);
  });
  ASSERT_TRUE(result) << result.error().message;
  EXPECT_EQ(result->text, "yes");
}

TEST_F(RedisClientTest, TimeoutIsAnErrorValueAndDropsTheConnection) {
  RedisClient admin({.url = server.url()});
  auto results = run_on_loop<std::vector<Reply>>([&]() -> asio::awaitable<std::vector<Reply>> {
    auto executor = co_await asio::this_coro::executor;
    std::vector<Reply> out;
    out.push_back(co_await client.command(cmd("PING")));  // connected before the pause
    out.push_back(co_await admin.command(cmd("CLIENT", "PAUSE", "500")));
    // Two calls pipelined on the paused connection: when the first one's deadline passes, the
    // second must fail too rather than be handed the first one's reply later.
    std::optional<Reply> patient;
    asio::co_spawn(
        executor,
        [&]() -> asio::awaitable<void> { patient.emplace(co_await client.command(cmd("ECHO", "patient"), 10s)); },
        asio::detached);
    out.push_back(co_await client.command(cmd("ECHO", "hurried"), 100ms));
    while (!patient) co_await asio::post(executor, asio::use_awaitable);
    out.push_back(std::move(*patient));
    out.push_back(co_await client.command(cmd("ECHO", "after"), 10s));  // a new connection
    co_return out;
  });
  ASSERT_TRUE(results[0]);
  ASSERT_TRUE(results[1]) << results[1].error().message;
  ASSERT_FALSE(results[2]);
  EXPECT_EQ(results[2].error().code, "redis_timeout");
  EXPECT_EQ(results[2].error().status, 504u);
  ASSERT_FALSE(results[3]);
  EXPECT_EQ(results[3].error().code, "redis_timeout");
  ASSERT_TRUE(results[4]) << results[4].error().message;
  EXPECT_EQ(results[4]->text, "after");
}

TEST_F(RedisClientTest, ACancelledCallsReplyIsSkippedNotHandedToTheNextCall) {
  RedisClient pusher({.url = server.url()});
  auto results = run_on_loop<std::vector<Reply>>([&]() -> asio::awaitable<std::vector<Reply>> {
    auto executor = co_await asio::this_coro::executor;
    std::vector<Reply> out;
    out.push_back(co_await client.command(cmd("PING")));  // connected
    // BLPOP holds this connection's pipeline until something is pushed.
    asio::cancellation_signal cancel;
    std::optional<Reply> blocked;
    asio::co_spawn(
        executor,
        [&]() -> asio::awaitable<void> { blocked.emplace(co_await client.command(cmd("BLPOP", "q", "0"), 10s)); },
        asio::bind_cancellation_slot(cancel.slot(), asio::detached));
    std::optional<Reply> next;
    asio::co_spawn(
        executor, [&]() -> asio::awaitable<void> { next.emplace(co_await client.command(cmd("ECHO", "next"), 10s)); },
        asio::detached);
    co_await asio::post(executor, asio::use_awaitable);  // both are sent
    cancel.emit(asio::cancellation_type::terminal);
    while (!blocked) co_await asio::post(executor, asio::use_awaitable);
    out.push_back(std::move(*blocked));
    out.push_back(co_await pusher.command(cmd("RPUSH", "q", "item")));  // BLPOP's reply now comes, unwanted
    while (!next) co_await asio::post(executor, asio::use_awaitable);
    out.push_back(std::move(*next));
    co_return out;
  });
  ASSERT_TRUE(results[0]);
  ASSERT_FALSE(results[1]);
  EXPECT_EQ(results[1].error().code, "cancelled");
  ASSERT_TRUE(results[2]);
  ASSERT_TRUE(results[3]) << results[3].error().message;
  EXPECT_EQ(results[3]->type, RedisReply::Type::string);
  EXPECT_EQ(results[3]->text, "next");
}

}  // namespace
}  // namespace sluice::client
