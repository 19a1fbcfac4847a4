// Admission control and deadlines through a real server: exact shed counts, queue timeouts,
// 504s that cancel the handler's wait.
#include "raw_http.hpp"
#include "test_app.hpp"

#include "sluice/client/http_client.hpp"
#include "sluice/limits/admission.hpp"
#include "sluice/limits/deadline.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <gtest/gtest.h>

#include <atomic>
#include <thread>

namespace sluice::limits {
namespace {

namespace asio = boost::asio;
using namespace std::chrono_literals;
using http::Request;
using http::Response;

/// A handler that holds its request until the test opens the gate.
struct Held {
  std::atomic<bool> is_open{false};
  std::atomic<int> running{0};
  http::Handler handler() {
    return [this](Request&) -> asio::awaitable<Response> {
      ++running;
      asio::steady_timer tick(co_await asio::this_coro::executor);
      while (!is_open) {
        tick.expires_after(2ms);
        co_await tick.async_wait(asio::use_awaitable);
      }
      --running;
      co_return Response::json({{"ok", true}});
    };
  }
};

template <class Predicate>
bool eventually(Predicate predicate, std::chrono::milliseconds limit = 10s) {
  for (auto until = std::chrono::steady_clock::now() + limit; std::chrono::steady_clock::now() < until;) {
    if (predicate()) return true;
    std::this_thread::sleep_for(2ms);
  }
  return predicate();
}

TEST(Admission, RunsTheCapQueuesTheQueueAndShedsTheRestAtOnce) {
  App app(1);
  Held held;
  auto gate = AdmissionGate::create({.max_in_flight = 2, .max_queue = 3, .queue_timeout = 30s});
  app.get("/work", held.handler(), {.guards = {gate}});
  test::RunningApp running(app, {.io_threads = 2});

  std::mutex mutex;
  std::map<int, int> statuses;
  std::atomic<int> answered{0};
  std::vector<std::thread> clients;
  for (int i = 0; i < 12; ++i)
    clients.emplace_back([&] {
      auto response = test::request(running.port(), "GET", "/work");
      std::lock_guard lock(mutex);
      ++statuses[response ? response->status : 0];
      if (response && response->status == 503) {
        EXPECT_EQ(response->header("retry-after"), "1");
      }
      ++answered;
    });
  // While the gate is closed: 2 run, 3 wait, and the other 7 have already been answered 503.
  ASSERT_TRUE(eventually([&] { return answered == 7 && gate->queued() == 3; }));
  EXPECT_EQ(held.running.load(), 2);
  EXPECT_EQ(gate->in_flight(), 2u);
  held.is_open = true;
  for (auto& client : clients) client.join();
  EXPECT_EQ(statuses[200], 5);
  EXPECT_EQ(statuses[503], 7);
  EXPECT_EQ(gate->stats().admitted.load(), 5u);
  EXPECT_EQ(gate->stats().shed_queue_full.load(), 7u);
  EXPECT_EQ(gate->in_flight(), 0u);
  EXPECT_EQ(gate->queued(), 0u);
}

TEST(Admission, QueuedRequestPastTheQueueTimeoutIsShed) {
  App app(1);
  Held held;
  auto gate = AdmissionGate::create({.max_in_flight = 1, .max_queue = 5, .queue_timeout = 100ms});
  app.get("/work", held.handler(), {.guards = {gate}});
  test::RunningApp running(app);
  std::thread first([&] { EXPECT_EQ(test::request(running.port(), "GET", "/work")->status, 200); });
  ASSERT_TRUE(eventually([&] { return held.running == 1; }));
  auto queued = test::request(running.port(), "GET", "/work");
  EXPECT_EQ(queued->status, 503);
  EXPECT_EQ(boost::json::parse(queued->body).at("code"), "overloaded");
  EXPECT_EQ(gate->stats().shed_timeout.load(), 1u);
  held.is_open = true;
  first.join();
  EXPECT_EQ(gate->in_flight(), 0u);
}

TEST(Admission, UnderAQueueTargetAFastStageQueuesABurstAndASlowOneKeepsMaxQueue) {
  App app(1);
  Held held;
  auto gate = AdmissionGate::create({.max_in_flight = 1,
                                     .max_queue = 1,
                                     .queue_timeout = 30s,
                                     .queue_target = 1s,
                                     .max_queue_under_target = 10});
  app.get("/fast", [](Request&) -> asio::awaitable<Response> { co_return Response::json({{"ok", true}}); },
          {.guards = {gate}});
  app.get("/held", held.handler(), {.guards = {gate}});
  test::RunningApp running(app);
  EXPECT_EQ(gate->queue_limit(), 1u) << "nothing measured yet: max_queue";
  for (int i = 0; i < 5; ++i) ASSERT_EQ(test::request(running.port(), "GET", "/fast")->status, 200);
  // Slots held for microseconds: 1 s of queueing fits far more than the bound.
  EXPECT_EQ(gate->queue_limit(), 10u);

  std::atomic<int> shed{0};
  std::vector<std::thread> clients;
  for (int i = 0; i < 13; ++i)
    clients.emplace_back([&] {
      if (test::request(running.port(), "GET", "/held")->status == 503) ++shed;
    });
  // One runs, ten wait (not max_queue's one), two are shed at once.
  ASSERT_TRUE(eventually([&] { return shed == 2 && gate->queued() == 10 && held.running == 1; }));
  held.is_open = true;
  for (auto& client : clients) client.join();
  EXPECT_EQ(shed.load(), 2);
  EXPECT_EQ(gate->stats().admitted.load(), 16u);

  // A stage that slows down to slots held far longer than the target is back to max_queue.
  auto stage = AdmissionGate::create({.max_in_flight = 1, .max_queue = 1, .queue_target = 1ms});
  asio::io_context io;
  asio::co_spawn(
      io,
      [&]() -> asio::awaitable<void> {
        for (int i = 0; i < 3; ++i) EXPECT_TRUE(co_await stage->acquire());  // each given back at once
        EXPECT_GT(stage->queue_limit(), 1u);
        auto permit = co_await stage->acquire();
        asio::steady_timer hold(co_await asio::this_coro::executor, 30ms);
        co_await hold.async_wait(asio::use_awaitable);
      },
      asio::detached);
  io.run();
  EXPECT_EQ(stage->queue_limit(), 1u);
}

TEST(Admission, StreamedResponseHoldsItsSlotUntilTheStreamEnds) {
  App app(1);
  auto gate = AdmissionGate::create({.max_in_flight = 1, .max_queue = 0});
  std::atomic<bool> is_streaming{false};
  std::atomic<bool> may_finish{false};
  app.get(
      "/stream",
      [&](Request&) -> asio::awaitable<Response> {
        co_return Response::stream("text/plain", [&](http::StreamWriter& out) -> asio::awaitable<void> {
          is_streaming = true;
          asio::steady_timer tick(co_await asio::this_coro::executor);
          while (!may_finish) {
            tick.expires_after(2ms);
            co_await tick.async_wait(asio::use_awaitable);
          }
          co_await out.write("done");
        });
      },
      {.guards = {gate}});
  test::RunningApp running(app);
  test::RawConnection client(running.port());
  client.send("GET /stream HTTP/1.1\r\nHost: x\r\n\r\n");
  ASSERT_TRUE(eventually([&] { return is_streaming.load(); }));
  EXPECT_EQ(test::request(running.port(), "GET", "/stream")->status, 503);  // the slot is still taken
  may_finish = true;
  std::string received;
  for (std::string part; received.find("done") == std::string::npos && !(part = client.read_some(5s)).empty();)
    received += part;
  EXPECT_NE(received.find("done"), std::string::npos);
  EXPECT_TRUE(eventually([&] { return gate->in_flight() == 0; }));
}

TEST(Deadline, PastItTheClientGets504AndTheWaitIsCancelled) {
  App app(1);
  std::atomic<bool> was_cancelled{false};
  app.get(
      "/slow",
      [&](Request&) -> asio::awaitable<Response> {
        asio::steady_timer timer(co_await asio::this_coro::executor, 30s);
        auto [ec] = co_await timer.async_wait(asio::as_tuple(asio::use_awaitable));
        was_cancelled = ec == asio::error::operation_aborted;
        co_return Response::json({{"late", true}});
      },
      {.middleware = {deadline(100ms)}});
  app.get(
      "/fast", [](Request& r) -> asio::awaitable<Response> {
        auto left = std::chrono::duration_cast<std::chrono::milliseconds>(r.deadline() - std::chrono::steady_clock::now());
        co_return Response::json({{"left_ms", left.count()}});
      },
      {.middleware = {deadline(5s)}});
  test::RunningApp running(app);
  auto slow = test::request(running.port(), "GET", "/slow", "", "", 10s);
  ASSERT_TRUE(slow);
  EXPECT_EQ(slow->status, 504);
  EXPECT_EQ(boost::json::parse(slow->body).at("code"), "deadline_exceeded");
  EXPECT_TRUE(was_cancelled.load());
  auto fast = test::request(running.port(), "GET", "/fast");
  ASSERT_EQ(fast->status, 200);
  auto left = boost::json::parse(fast->body).at("left_ms").as_int64();
  EXPECT_GT(left, 0);
  EXPECT_LE(left, 5000);
}

TEST(Deadline, CancelsTheUpstreamCallOfTheHandler) {
  App upstream_app(1);
  std::atomic<int> upstream_started{0};
  upstream_app.get("/slow", [&](Request&) -> asio::awaitable<Response> {
    ++upstream_started;
    asio::steady_timer timer(co_await asio::this_coro::executor, 8s);
    co_await timer.async_wait(asio::as_tuple(asio::use_awaitable));
    co_return Response::text("late");
  });
  test::RunningApp upstream(upstream_app);

  App app(1);
  auto client = client::HttpClient::install(app.services());
  app.get(
      "/proxy",
      [&, url = upstream.url("/slow")](Request&) -> asio::awaitable<Response> {
        auto answer = co_await client->get(url, 20s);  // its own timeout is far away
        co_return Response::text(answer ? answer->body : answer.error().code);
      },
      {.middleware = {deadline(200ms)}});
  test::RunningApp running(app);
  auto started = std::chrono::steady_clock::now();
  auto response = test::request(running.port(), "GET", "/proxy", "", "", 10s);
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 504);
  EXPECT_EQ(upstream_started.load(), 1);
  // Answered long before the upstream's 8 s: the upstream call was cancelled, not waited for.
  EXPECT_LT(std::chrono::steady_clock::now() - started, 5s);
}

}  // namespace
}  // namespace sluice::limits
