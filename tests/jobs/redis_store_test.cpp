// What only the Redis job store does: idempotent claims and finishes (a call whose reply was
// lost can be repeated without leasing or writing twice), AUTH from the URL, and the awaitable
// calls on the caller's loop.
#include "sluice/client/redis_client.hpp"
#include "sluice/jobs/job_queue.hpp"

#include "../../src/jobs/redis_scripts.hpp"
#include "redis_server.hpp"

#include <gtest/gtest.h>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>

#include <optional>
#include <set>

namespace sluice::jobs {
namespace {

using namespace std::chrono_literals;
namespace asio = boost::asio;

/// Runs `work` on a private event loop, then stops the loop (a Redis connection would keep it
/// running) and destroys it.
template <class T>
T on_loop(asio::awaitable<T> work) {
  asio::io_context loop;
  std::optional<T> out;
  std::exception_ptr error;
  auto body = [&]() -> asio::awaitable<void> {
    try {
      auto value = co_await std::move(work);
      out.emplace(std::move(value));
    } catch (...) {
      error = std::current_exception();
    }
    loop.stop();
  };
  asio::co_spawn(loop, body, asio::detached);
  loop.run();
  if (error) std::rethrow_exception(error);
  return std::move(*out);
}

std::set<std::string> ids_of(const client::RedisReply& claimed) {
  std::set<std::string> ids;
  for (const auto& fields : claimed.elements)
    for (std::size_t i = 0; i + 1 < fields.elements.size(); i += 2)
      if (fields.elements[i].text == "id") ids.insert(fields.elements[i + 1].text);
  return ids;
}

TEST(RedisJobStore, ARepeatedClaimAdoptsWhatWasLeasedUnderItsToken) {
  test::RedisServer redis;
  const std::string prefix = "claims:";
  auto store = open_redis_store(redis.url(), prefix);
  for (int i = 0; i < 3; ++i) store->enqueue("t", nullptr, {});
  client::RedisClient client({.url = redis.url()});
  const client::RedisScript claim(std::string(redis_scripts::kCommon) + redis_scripts::kClaim);
  auto run_claim = [&](std::string token, std::string max) {
    std::vector<std::string> args{prefix, "w1", "30000", std::move(token), std::move(max), "", "", "1"};
    auto reply = on_loop(client.eval(claim, {}, std::move(args)));
    EXPECT_TRUE(reply) << reply.error().message;
    return ids_of(*reply);
  };
  auto first = run_claim("token-a", "2");
  ASSERT_EQ(first.size(), 2u);
  EXPECT_EQ(run_claim("token-a", "2"), first) << "the same jobs again, not two more";
  auto other = run_claim("token-b", "5");
  ASSERT_EQ(other.size(), 1u) << "only the job nobody holds";
  EXPECT_FALSE(first.contains(*other.begin()));
  for (const auto& id : first) EXPECT_EQ(store->get(id)->attempts, 1) << "claimed once";
}

TEST(RedisJobStore, ARepeatedFinishChangesNothing) {
  test::RedisServer redis;
  auto store = open_redis_store(redis.url(), "finish:");
  store->enqueue("t", nullptr, {});
  auto claim = store->claim("w1", 30s);
  ASSERT_TRUE(claim);
  EXPECT_TRUE(store->complete(*claim, boost::json::value{{"n", 1}}));
  EXPECT_FALSE(store->complete(*claim, boost::json::value{{"n", 2}})) << "the same call, its reply lost";
  auto done = store->get(claim->job.id);
  EXPECT_EQ(done->state, JobState::succeeded);
  EXPECT_EQ(done->result, (boost::json::value{{"n", 1}}));
}

TEST(RedisJobStore, AuthenticatesWithThePasswordInTheUrl) {
  test::RedisServer redis("s3cret-pass");
  auto store = open_redis_store(redis.url(), "auth:");
  auto job = store->enqueue("t", nullptr, {});
  ASSERT_TRUE(store->get(job.id));
  EXPECT_TRUE(store->is_healthy());
  auto without_password = open_redis_store("redis://127.0.0.1:" + std::to_string(redis.port()), "auth:");
  EXPECT_FALSE(without_password->is_healthy());
  EXPECT_THROW(without_password->get(job.id), std::runtime_error);
}

TEST(RedisJobStore, QueueCallsAreAwaitedOnTheCallersLoop) {
  test::RedisServer redis;
  auto store = open_redis_store(redis.url(), "async:");
  ASSERT_NE(store->async(), nullptr);
  JobQueue queue(store);
  auto job = on_loop(queue.submit("t", boost::json::value{{"n", 1}}));
  auto found = on_loop(queue.find(job.id));
  ASSERT_TRUE(found);
  EXPECT_EQ(found->payload, (boost::json::value{{"n", 1}}));
  EXPECT_FALSE(on_loop(queue.find("missing")));
  EXPECT_EQ(on_loop(queue.list({})).size(), 1u);
  EXPECT_EQ(on_loop(queue.cancel(job.id)), CancelOutcome::cancelled);
  auto counts = on_loop(queue.counts());
  ASSERT_EQ(counts.size(), 1u);
  EXPECT_EQ(counts[0].first, JobState::cancelled);
  EXPECT_TRUE(on_loop(queue.is_healthy()));
  redis.stop();
  EXPECT_FALSE(on_loop(queue.is_healthy()));
}

}  // namespace
}  // namespace sluice::jobs
