// The async client against a real server on loopback (a Sluice app in this process).
#include "sluice/client/http_client.hpp"

#include "run_coroutine.hpp"
#include "test_app.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <gtest/gtest.h>

#include <atomic>

namespace sluice::client {
namespace {

using namespace std::chrono_literals;
namespace asio = boost::asio;
using http::Request;
using http::Response;

using test::run_coroutine;

class HttpClientTest : public ::testing::Test {
 protected:
  HttpClientTest() {
    upstream.get("/context", [this](Request& req) -> asio::awaitable<Response> {
      ++calls;
      co_return Response::json({{"query", req.query("query").value_or("")}});
    });
    upstream.get("/slow", [](Request&) -> asio::awaitable<Response> {
      asio::steady_timer timer(co_await asio::this_coro::executor, 500ms);
      co_await timer.async_wait(asio::use_awaitable);
      co_return Response::text("late");
    });
    upstream.get("/close", [](Request&) -> asio::awaitable<Response> {
      co_return Response::text("bye").set_header(http::Field::connection, "close");
    });
    upstream.get("/error", [](Request&) -> asio::awaitable<Response> {
      co_return Response::text("nope", "text/plain", http::Status::service_unavailable);
    });
  }
  App upstream{1};
  std::atomic<int> calls{0};
};

TEST_F(HttpClientTest, GetsAndReusesTheConnection) {
  test::RunningApp server(upstream);
  HttpClient client;
  auto url = server.url("/context?query=a%20b");
  auto result = run_coroutine([&]() -> asio::awaitable<core::Result<ClientResponse>> {
    auto first = co_await client.get(url);
    if (!first) co_return first;
    EXPECT_EQ(client.idle_connections(), 1u);
    auto second = co_await client.get(url);
    EXPECT_EQ(client.idle_connections(), 1u) << "the second call reused the pooled connection";
    co_return second;
  });
  ASSERT_TRUE(result) << result.error().message;
  EXPECT_EQ(result->status, 200u);
  EXPECT_EQ(result->body, R"({"query":"a b"})");
  EXPECT_EQ(result->content_type, "application/json");
  EXPECT_EQ(calls.load(), 2);
}

TEST_F(HttpClientTest, ConnectionClosedByServerIsNotPooled) {
  test::RunningApp server(upstream);
  HttpClient client;
  auto result = run_coroutine([&]() { return client.get(server.url("/close")); });
  ASSERT_TRUE(result);
  EXPECT_EQ(result->body, "bye");
  EXPECT_EQ(client.idle_connections(), 0u);
}

TEST_F(HttpClientTest, StalePooledConnectionIsRetriedOnAFreshOne) {
  http::ServerOptions options;
  options.read_timeout = 100ms;  // the upstream drops idle keep-alive connections quickly
  test::RunningApp server(upstream, options);
  HttpClient client;
  auto url = server.url("/context?query=x");
  auto result = run_coroutine([&]() -> asio::awaitable<core::Result<ClientResponse>> {
    auto first = co_await client.get(url);
    asio::steady_timer wait(co_await asio::this_coro::executor, 400ms);
    co_await wait.async_wait(asio::use_awaitable);
    co_return co_await client.get(url);
  });
  ASSERT_TRUE(result) << result.error().message;
  EXPECT_EQ(result->status, 200u);
  EXPECT_EQ(calls.load(), 2);
}

TEST_F(HttpClientTest, UpstreamStatusIsReturnedAsIs) {
  test::RunningApp server(upstream);
  HttpClient client;
  auto result = run_coroutine([&]() { return client.get(server.url("/error")); });
  ASSERT_TRUE(result);
  EXPECT_EQ(result->status, 503u);
}

TEST_F(HttpClientTest, SlowUpstreamIs504AtTheDeadline) {
  test::RunningApp server(upstream);
  HttpClient client;
  auto start = std::chrono::steady_clock::now();
  auto result = run_coroutine([&]() { return client.get(server.url("/slow"), 100ms); });
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error().status, 504u);
  EXPECT_EQ(result.error().code, "upstream_timeout");
  EXPECT_LT(std::chrono::steady_clock::now() - start, 400ms);
}

TEST(HttpClient, DeadUpstreamIs502) {
  // A port that was just free: nothing listens there.
  asio::io_context io;
  asio::ip::tcp::acceptor probe(io, {asio::ip::make_address("127.0.0.1"), 0});
  auto port = probe.local_endpoint().port();
  probe.close();
  HttpClient client;
  auto result = run_coroutine([&]() { return client.get("http://127.0.0.1:" + std::to_string(port) + "/context"); });
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error().status, 502u);
  EXPECT_EQ(result.error().code, "upstream_unavailable");
}

TEST(HttpClient, RejectsUrlsItCannotServe) {
  HttpClient client;
  for (auto url : {"ftp://example.com/x", "not a url", "http:///no-host"}) {
    auto result = run_coroutine([&]() { return client.get(url); });
    ASSERT_FALSE(result) << url;
    EXPECT_EQ(result.error().code, "upstream_invalid_url") << url;
    EXPECT_FALSE(is_supported_url(url)) << url;
  }
  EXPECT_TRUE(is_supported_url("https://example.com/v1"));
  EXPECT_TRUE(is_supported_url("http://127.0.0.1:8080"));
}

// The client remembers where a URL's scheme and authority point; the rest of every URL is
// still checked, and another path or a URL without one on that host goes where it says.
TEST_F(HttpClientTest, AKnownHostStillHasEachUrlChecked) {
  test::RunningApp server(upstream);
  HttpClient client;
  auto first = run_coroutine([&]() { return client.get(server.url("/context?query=one")); });
  ASSERT_TRUE(first) << first.error().message;
  EXPECT_EQ(first->body, R"({"query":"one"})");
  auto second = run_coroutine([&]() { return client.get(server.url("/context?query=two")); });
  ASSERT_TRUE(second) << second.error().message;
  EXPECT_EQ(second->body, R"({"query":"two"})");
  auto bad = run_coroutine([&]() { return client.get(server.url("/context?query=a b")); });
  ASSERT_FALSE(bad) << "a space in the query reached the wire";
  EXPECT_EQ(bad.error().code, "upstream_invalid_url");
  auto bare = run_coroutine([&]() { return client.get(server.url("")); });
  ASSERT_TRUE(bare) << bare.error().message;
  EXPECT_EQ(bare->status, 404u) << "no path is /";
  EXPECT_EQ(calls.load(), 2);
}

}  // namespace
}  // namespace sluice::client
