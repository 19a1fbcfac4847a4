// A client that leaves cancels what its handler awaits (src/http/disconnect_watch.cpp), through
// real sockets: a timer, an upstream call, a queued embedding batch, a streaming response. And a
// client that stays is served as before: keep-alive and pipelining with handlers that suspend.
#include "raw_http.hpp"
#include "silent_upstream.hpp"
#include "test_app.hpp"

#include "sluice/ai/batcher.hpp"
#include "sluice/ai/embedding_model.hpp"
#include "sluice/client/http_client.hpp"

#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <gtest/gtest.h>

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <optional>
#include <thread>

namespace sluice::http {
namespace {

using namespace std::chrono_literals;
namespace asio = boost::asio;
using test::RawConnection;

/// Waits (bounded, polling) for `condition`; tests assert on the result, never on the time.
template <class Condition>
bool eventually(Condition condition, std::chrono::milliseconds timeout = 10s) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!condition()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(5ms);
  }
  return true;
}

/// Counts how a handler's frame ends: the destructor runs whether it returns or unwinds.
struct Exit {
  std::atomic<int>& counter;
  ~Exit() { ++counter; }
};

const std::string kGet = " HTTP/1.1\r\nHost: x\r\n\r\n";

TEST(DisconnectWatch, AClientThatLeavesCancelsItsHandlersWait) {
  App app{1};
  std::atomic<int> started{0}, ended{0}, finished_waiting{0};
  app.get("/wait", [&](Request&) -> asio::awaitable<Response> {
    Exit exit{ended};
    ++started;
    asio::steady_timer timer(co_await asio::this_coro::executor, 60s);
    co_await timer.async_wait(asio::use_awaitable);
    ++finished_waiting;
    co_return Response::text("waited");
  });
  test::RunningApp server(app);
  std::optional<RawConnection> client(server.port());
  ASSERT_TRUE(client->send("GET /wait" + kGet));
  ASSERT_TRUE(eventually([&] { return started == 1; }));
  client.reset();  // the client closes its socket mid-request
  ASSERT_TRUE(eventually([&] { return ended == 1; })) << "the handler still waits for a client that left";
  EXPECT_EQ(finished_waiting, 0) << "the timer's wait was cancelled, not completed";
}

TEST(DisconnectWatch, AClientThatLeavesCancelsTheUpstreamCall) {
  test::SilentUpstream upstream;
  auto client = std::make_shared<client::HttpClient>(client::ClientOptions{.timeout = 60s});
  App app{1};
  std::atomic<int> calls_returned{0};
  app.get("/generate", [&](Request&) -> asio::awaitable<Response> {
    auto answer = co_await client->get(upstream.url("/context?query=x"));
    ++calls_returned;
    co_return Response::text(answer ? answer->body : answer.error().message);
  });
  test::RunningApp server(app);
  std::optional<RawConnection> caller(server.port());
  ASSERT_TRUE(caller->send("GET /generate" + kGet));
  ASSERT_TRUE(upstream.wait_for_requests(1, 10s));
  caller.reset();
  // The upstream sees its caller hang up long before the call's own 60 s deadline.
  EXPECT_TRUE(upstream.wait_for_hang_ups(1, 10s)) << "the upstream call outlived its client";
}

/// The built-in embedder behind a gate: the first batch waits until `release()`, so that the
/// next caller's texts stay queued.
class GatedModel final : public ai::EmbeddingModel {
 public:
  std::string name() const override { return "gated"; }
  std::size_t dimension() const override { return inner_.dimension(); }
  std::size_t count_tokens(std::string_view text) const override { return inner_.count_tokens(text); }
  std::vector<ai::Vector> embed_batch(const std::vector<std::string>& texts) const override {
    std::unique_lock lock(mutex_);
    for (const auto& text : texts) seen_.push_back(text);
    opened_.wait(lock, [&] { return is_open_; });
    lock.unlock();
    return inner_.embed_batch(texts);
  }
  void release() {
    {
      std::lock_guard lock(mutex_);
      is_open_ = true;
    }
    opened_.notify_all();
  }
  std::vector<std::string> seen() const {
    std::lock_guard lock(mutex_);
    return seen_;
  }

 private:
  ai::BuiltinEmbeddingModel inner_{{.dimension = 8, .hashed_features = 64}};
  mutable std::mutex mutex_;
  mutable std::condition_variable opened_;
  mutable std::vector<std::string> seen_;
  bool is_open_ = false;
};

TEST(DisconnectWatch, AClientThatLeavesDropsItsQueuedModelWork) {
  auto model = std::make_shared<GatedModel>();
  core::ComputePool compute{1};
  auto batcher = std::make_shared<ai::Batcher>(model, compute,
                                               ai::BatcherOptions{.max_wait = 0us, .max_running = 1, .timeout = 60s});
  App app{1};
  std::atomic<int> ended{0};
  app.get("/embed", [&](Request& req) -> asio::awaitable<Response> {
    Exit exit{ended};
    auto vectors = co_await batcher->submit(std::vector<std::string>(1, std::string(req.query("text").value_or(""))));
    co_return Response::text(vectors ? "embedded" : vectors.error().code);
  });
  test::RunningApp server(app);
  RawConnection first(server.port());
  ASSERT_TRUE(first.send("GET /embed?text=first" + kGet));
  ASSERT_TRUE(eventually([&] { return model->seen().size() == 1; }));  // the model is busy with it
  std::optional<RawConnection> second(server.port());
  ASSERT_TRUE(second->send("GET /embed?text=second" + kGet));
  ASSERT_TRUE(eventually([&] { return batcher->stats().queued == 1; }));
  second.reset();
  ASSERT_TRUE(eventually([&] { return ended == 1; })) << "the queued caller was not cancelled";
  model->release();
  auto answer = first.read_response();
  ASSERT_TRUE(answer);
  EXPECT_EQ(answer->body, "embedded");
  // The next batch to form drops the abandoned entry; the model never sees its text.
  RawConnection third(server.port());
  ASSERT_TRUE(third.send("GET /embed?text=third" + kGet));
  ASSERT_TRUE(third.read_response());
  EXPECT_EQ(batcher->stats().dropped, 1u);
  EXPECT_EQ(model->seen(), (std::vector<std::string>{"first", "third"}));
}

TEST(DisconnectWatch, AClientThatLeavesEndsAStreamWaitingForItsNextPiece) {
  App app{1};
  std::atomic<int> ended{0};
  app.get("/tokens", [&](Request&) -> asio::awaitable<Response> {
    co_return Response::stream("text/event-stream", [&](StreamWriter& out) -> asio::awaitable<void> {
      Exit exit{ended};
      co_await out.write("data: first\n\n");
      asio::steady_timer next_token(co_await asio::this_coro::executor, 60s);
      co_await next_token.async_wait(asio::use_awaitable);
      co_await out.write("data: late\n\n");
    });
  });
  test::RunningApp server(app);
  std::optional<RawConnection> client(server.port());
  ASSERT_TRUE(client->send("GET /tokens" + kGet));
  std::string received;  // the head and the first chunk may come in separate reads
  ASSERT_TRUE(eventually([&] {
    received += client->read_some(100ms);
    return received.find("data: first") != std::string::npos;
  })) << received;
  client.reset();
  EXPECT_TRUE(eventually([&] { return ended == 1; })) << "the stream's producer still waits";
}

TEST(DisconnectWatch, KeepAliveAndPipeliningStillWorkWithHandlersThatWait) {
  App app{1};
  std::atomic<int> served{0};
  app.get("/pause", [&](Request& req) -> asio::awaitable<Response> {
    asio::steady_timer timer(co_await asio::this_coro::executor, 5ms);
    co_await timer.async_wait(asio::use_awaitable);
    ++served;
    co_return Response::text(std::string(req.query("n").value_or("")));
  });
  test::RunningApp server(app);
  RawConnection c(server.port());
  // One at a time: the watch starts and stops around each request.
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(c.send("GET /pause?n=" + std::to_string(i) + kGet));
    auto r = c.read_response();
    ASSERT_TRUE(r);
    EXPECT_EQ(r->body, std::to_string(i));
  }
  // Pipelined: the next request's bytes are already there while a handler waits; that is a live
  // client, not a disconnect, and the bytes are still read as the next request.
  ASSERT_TRUE(c.send("GET /pause?n=a" + kGet + "GET /pause?n=b" + kGet + "GET /pause?n=c" + kGet));
  for (auto expected : {"a", "b", "c"}) {
    auto r = c.read_response();
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 200);
    EXPECT_EQ(r->body, expected);
  }
  EXPECT_EQ(served, 6);
}

}  // namespace
}  // namespace sluice::http
