// Response caching of GET routes through a real server.
#include "raw_http.hpp"
#include "test_app.hpp"

#include "sluice/cache/response_cache.hpp"

#include <gtest/gtest.h>

#include <atomic>

namespace sluice::cache {
namespace {

namespace asio = boost::asio;
using namespace std::chrono_literals;
using http::Request;
using http::Response;

struct CachedRoutes {
  CachedRoutes() {
    auto guard = response_cache(cache, 30s);
    app.get(
        "/report",
        [this](Request& r) -> asio::awaitable<Response> {
          int n = ++calls;
          co_return Response::text("report " + r.query("q").value_or("") + " #" + std::to_string(n), "text/csv");
        },
        {.guards = {guard}});
    app.get(
        "/missing", [this](Request&) -> asio::awaitable<Response> {
          ++calls;
          co_return Response::error(core::not_found("no such report"));
        },
        {.guards = {guard}});
    app.post(
        "/report", [this](Request&) -> asio::awaitable<Response> {
          ++calls;
          co_return Response::text("posted");
        },
        {.guards = {guard}});
    running.emplace(app);
  }
  std::atomic<std::chrono::steady_clock::time_point> now{std::chrono::steady_clock::now()};  // read by the server
  std::shared_ptr<MemoryCache> cache = std::make_shared<MemoryCache>(MemoryCacheOptions{.clock = [this] { return now.load(); }});
  std::atomic<int> calls{0};
  App app{1};
  std::optional<test::RunningApp> running;
};

TEST(ResponseCache, SecondGetIsAnsweredFromTheCache) {
  CachedRoutes routes;
  auto first = test::request(routes.running->port(), "GET", "/report?q=a");
  auto second = test::request(routes.running->port(), "GET", "/report?q=a");
  EXPECT_EQ(first->header("x-cache"), "MISS");
  EXPECT_EQ(second->header("x-cache"), "HIT");
  EXPECT_EQ(second->body, "report a #1");
  EXPECT_EQ(second->header("content-type"), "text/csv");
  EXPECT_EQ(routes.calls.load(), 1);
  EXPECT_EQ(test::request(routes.running->port(), "GET", "/report?q=b")->body, "report b #2");  // another target
  EXPECT_EQ(routes.cache->hits(), 1u);
}

TEST(ResponseCache, OnlySuccessfulGetsAreKeptAndOnlyForTheirTtl) {
  CachedRoutes routes;
  for (int i = 0; i < 2; ++i) EXPECT_EQ(test::request(routes.running->port(), "GET", "/missing")->status, 404);
  for (int i = 0; i < 2; ++i) EXPECT_EQ(test::request(routes.running->port(), "POST", "/report")->body, "posted");
  EXPECT_EQ(routes.calls.load(), 4);
  test::request(routes.running->port(), "GET", "/report?q=a");
  routes.now = routes.now.load() + 31s;  // past the TTL
  EXPECT_EQ(test::request(routes.running->port(), "GET", "/report?q=a")->body, "report a #6");
}

}  // namespace
}  // namespace sluice::cache
