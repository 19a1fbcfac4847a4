// HttpClient::stream against a real server on loopback: a body handed on as it arrives.
#include "sluice/client/http_client.hpp"

#include "run_coroutine.hpp"
#include "test_app.hpp"

#include <gtest/gtest.h>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace sluice::client {
namespace {

using namespace std::chrono_literals;
namespace asio = boost::asio;
using http::Request;
using http::Response;

class HttpClientStream : public ::testing::Test {
 protected:
  HttpClientStream() {
    // Three parts 30 ms apart: each arrives on its own.
    upstream.get("/parts", [](Request&) -> asio::awaitable<Response> {
      co_return Response::stream("text/plain", [](http::StreamWriter& out) -> asio::awaitable<void> {
        asio::steady_timer timer(co_await asio::this_coro::executor);
        for (std::string part : {"one,", "two,", "three"}) {
          if (!co_await out.write(part)) co_return;
          timer.expires_after(30ms);
          co_await timer.async_wait(asio::use_awaitable);
        }
      });
    });
    upstream.get("/refused", [](Request&) -> asio::awaitable<Response> {
      co_return Response::text("busy", "text/plain", http::Status::too_many_requests);
    });
    upstream.get("/stalls", [](Request&) -> asio::awaitable<Response> {
      co_return Response::stream("text/plain", [](http::StreamWriter& out) -> asio::awaitable<void> {
        co_await out.write("first");
        asio::steady_timer timer(co_await asio::this_coro::executor, 1s);
        co_await timer.async_wait(asio::use_awaitable);
      });
    });
    server.emplace(upstream);  // after the routes: the app mounts them when it starts
  }

  /// Streams `path`, collecting the parts; the sink stops after `max_parts`.
  core::Result<ClientResponse> stream(const std::string& path, std::vector<std::string>& parts,
                                      std::size_t max_parts = 100, std::chrono::milliseconds timeout = 2s) {
    HttpClient client;
    return test::run_coroutine([&]() {
      return client.stream(
          http::Verb::get, server->url(path), {}, {},
          [&](std::string chunk) -> asio::awaitable<bool> {
            parts.push_back(std::move(chunk));
            co_return parts.size() < max_parts;
          },
          timeout);
    });
  }

  App upstream{1};
  std::optional<test::RunningApp> server;
};

TEST_F(HttpClientStream, HandsOnEachPartAsItArrives) {
  std::vector<std::string> parts;
  auto result = stream("/parts", parts);
  ASSERT_TRUE(result) << result.error().message;
  EXPECT_EQ(result->status, 200u);
  EXPECT_TRUE(result->body.empty());
  std::string joined;
  for (auto& p : parts) joined += p;
  EXPECT_EQ(joined, "one,two,three");
  EXPECT_GE(parts.size(), 3u);  // one per part at least: nothing waited for the end
}

TEST_F(HttpClientStream, TheSinkCanStopTheStream) {
  std::vector<std::string> parts;
  auto result = stream("/parts", parts, 1);
  ASSERT_TRUE(result);
  EXPECT_EQ(parts, (std::vector<std::string>{"one,"}));
}

TEST_F(HttpClientStream, AnErrorStatusBodyIsCollectedNotStreamed) {
  std::vector<std::string> parts;
  auto result = stream("/refused", parts);
  ASSERT_TRUE(result);
  EXPECT_EQ(result->status, 429u);
  EXPECT_EQ(result->body, "busy");
  EXPECT_TRUE(parts.empty());
}

TEST_F(HttpClientStream, AStalledStreamTimesOut) {
  std::vector<std::string> parts;
  auto result = stream("/stalls", parts, 100, 100ms);
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error().code, "upstream_timeout");
  EXPECT_EQ(parts, (std::vector<std::string>{"first"}));
}

}  // namespace
}  // namespace sluice::client
