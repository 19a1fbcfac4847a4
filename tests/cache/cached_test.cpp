// cached(): get-or-compute, and single-flight on one loop and across threads.
#include "sluice/cache/cached.hpp"

#include "sluice/cache/memory_cache.hpp"

#include <gtest/gtest.h>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <atomic>
#include <future>
#include <thread>

namespace sluice::cache {
namespace {

using namespace std::chrono_literals;
namespace asio = boost::asio;
using Value = core::Result<std::string>;

/// A producer that waits until `release()`, so that other calls can pile up behind it.
struct GatedProducer {
  std::atomic<int> calls{0};
  std::promise<void> started;
  std::shared_ptr<asio::steady_timer> gate;
  Value outcome = std::string("computed");

  Producer producer() {
    return [this]() -> asio::awaitable<Value> {
      if (++calls == 1) {
        gate = std::make_shared<asio::steady_timer>(co_await asio::this_coro::executor,
                                                    std::chrono::steady_clock::time_point::max());
        started.set_value();
        co_await gate->async_wait(asio::as_tuple(asio::use_awaitable));
      }
      co_return outcome;
    };
  }
  void release() { gate->cancel(); }  // on the gate's loop
};

TEST(Cached, ComputesOnceThenServesFromTheCache) {
  MemoryCache cache;
  int calls = 0;
  Producer produce = [&]() -> asio::awaitable<Value> {
    ++calls;
    co_return std::string("v");
  };
  asio::io_context io;
  std::vector<Value> results;
  asio::co_spawn(
      io,
      [&]() -> asio::awaitable<void> {
        results.push_back(co_await cached(cache, "k", 1min, produce));
        results.push_back(co_await cached(cache, "k", 1min, produce));
      },
      asio::detached);
  io.run();
  ASSERT_TRUE(results[0] && results[1]);
  EXPECT_EQ(*results[1], "v");
  EXPECT_EQ(calls, 1);
  EXPECT_EQ(cache.lookup("k"), "v");
}

TEST(Cached, ErrorsAreReturnedAndNotCached) {
  MemoryCache cache;
  int calls = 0;
  Producer produce = [&]() -> asio::awaitable<Value> {
    ++calls;
    co_return core::Error{502, "upstream_error", "no", nullptr};
  };
  asio::io_context io;
  std::vector<Value> results;
  asio::co_spawn(
      io,
      [&]() -> asio::awaitable<void> {
        results.push_back(co_await cached(cache, "k", 1min, produce));
        results.push_back(co_await cached(cache, "k", 1min, produce));
      },
      asio::detached);
  io.run();
  ASSERT_FALSE(results[0]);
  EXPECT_EQ(results[0].error().code, "upstream_error");
  EXPECT_EQ(calls, 2);
  EXPECT_EQ(cache.size(), 0u);
}

TEST(Cached, ConcurrentMissesOnOneLoopRunTheProducerOnce) {
  MemoryCache cache;
  asio::io_context io;
  GatedProducer gated;  // after io: its timer must go before io does
  constexpr int kCallers = 50;
  std::vector<Value> results;
  for (int i = 0; i < kCallers; ++i)
    asio::co_spawn(
        io, [&]() -> asio::awaitable<void> { results.push_back(co_await cached(cache, "k", 1min, gated.producer())); },
        asio::detached);
  io.poll();  // every caller has run up to its wait: the first in the producer, the rest behind it
  ASSERT_EQ(gated.calls, 1);
  EXPECT_TRUE(results.empty());
  gated.release();
  io.run();
  ASSERT_EQ(results.size(), static_cast<std::size_t>(kCallers));
  for (auto& result : results) EXPECT_EQ(result ? *result : result.error().code, "computed");
  EXPECT_EQ(gated.calls, 1);
  EXPECT_EQ(cache.misses(), static_cast<std::uint64_t>(kCallers));
}

TEST(Cached, AWaiterOnAnotherThreadGetsTheLeadersResult) {
  MemoryCache cache;
  asio::io_context leader_io;
  GatedProducer gated;  // after leader_io: its timer must go before leader_io does
  gated.outcome = core::Error{503, "busy", "not cached, so only coalescing can share it", nullptr};

  auto leader_work = asio::make_work_guard(leader_io);
  std::optional<Value> leader_result;
  asio::co_spawn(
      leader_io,
      [&]() -> asio::awaitable<void> { leader_result = co_await cached(cache, "k", 1min, gated.producer()); },
      asio::detached);
  std::thread leader_thread([&] { leader_io.run(); });
  gated.started.get_future().wait();  // the leader is inside the producer

  asio::io_context waiter_io;  // run on this thread
  std::optional<Value> waiter_result;
  asio::co_spawn(
      waiter_io,
      [&]() -> asio::awaitable<void> { waiter_result = co_await cached(cache, "k", 1min, gated.producer()); },
      asio::detached);
  waiter_io.poll();  // runs the waiter up to its only possible wait: joining the leader's flight
  EXPECT_FALSE(waiter_result);
  asio::post(leader_io, [&] { gated.release(); });
  waiter_io.run();  // returns once the waiter is resumed, on this loop, and done
  leader_work.reset();
  leader_thread.join();

  ASSERT_TRUE(waiter_result && leader_result);
  ASSERT_FALSE(*waiter_result);
  EXPECT_EQ(waiter_result->error().code, "busy");
  EXPECT_EQ(gated.calls, 1);
}

TEST(Cached, AProducerThatThrowsReleasesItsWaiters) {
  MemoryCache cache;
  asio::io_context io;
  std::shared_ptr<asio::steady_timer> gate;
  Producer throws = [&]() -> asio::awaitable<Value> {
    gate = std::make_shared<asio::steady_timer>(co_await asio::this_coro::executor, 10ms);
    co_await gate->async_wait(asio::as_tuple(asio::use_awaitable));
    throw std::runtime_error("bug");
  };
  bool leader_threw = false;
  std::optional<Value> waiter_result;
  asio::co_spawn(
      io,
      [&]() -> asio::awaitable<void> {
        try {
          co_await cached(cache, "k", 1min, throws);
        } catch (const std::runtime_error&) {
          leader_threw = true;
        }
      },
      asio::detached);
  asio::co_spawn(
      io, [&]() -> asio::awaitable<void> { waiter_result = co_await cached(cache, "k", 1min, throws); },
      asio::detached);
  io.run();
  EXPECT_TRUE(leader_threw);
  ASSERT_TRUE(waiter_result);
  ASSERT_FALSE(*waiter_result);
  EXPECT_EQ(waiter_result->error().code, "internal_error");
}

}  // namespace
}  // namespace sluice::cache
