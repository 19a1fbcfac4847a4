// Declarative rate limits through a real server: exact counts, headers, keys.
#include "raw_http.hpp"
#include "test_app.hpp"

#include "sluice/limits/limiter.hpp"

#include <gtest/gtest.h>

namespace sluice::limits {
namespace {

namespace asio = boost::asio;
using http::Request;
using http::Response;

asio::awaitable<Response> ok(Request&) { co_return Response::json({{"ok", true}}); }

/// Statuses of `n` sequential requests to `target`.
std::map<int, int> burst(std::uint16_t port, const std::string& target, int n, const std::string& headers = "") {
  std::map<int, int> statuses;
  for (int i = 0; i < n; ++i) {
    auto response = test::request(port, "GET", target, "", headers);
    ++statuses[response ? response->status : 0];
  }
  return statuses;
}

TEST(Limiter, AllowsExactlyTheLimitThenAnswers429WithHeaders) {
  App app(1);
  Limiter limiter({.headers_on_success = true});
  app.get("/ai", ok, {.guards = {limiter.limit("10/minute")}});
  test::RunningApp running(app);

  for (int i = 0; i < 10; ++i) {
    auto response = test::request(running.port(), "GET", "/ai");
    ASSERT_EQ(response->status, 200) << i;
    EXPECT_EQ(response->header("ratelimit-limit"), "10");
    EXPECT_EQ(response->header("ratelimit-remaining"), std::to_string(9 - i));
  }
  auto limited = test::request(running.port(), "GET", "/ai");
  ASSERT_EQ(limited->status, 429);
  EXPECT_EQ(boost::json::parse(limited->body).at("code"), "rate_limited");
  EXPECT_EQ(limited->header("retry-after"), "6");  // one interval of 60 s / 10
  EXPECT_EQ(limited->header("ratelimit-remaining"), "0");
  EXPECT_EQ(limited->header("ratelimit-reset"), "60");
  EXPECT_EQ(limiter.stats().allowed.load(), 10u);
  EXPECT_EQ(limiter.stats().limited.load(), 1u);
}

TEST(Limiter, AllowedResponsesCarryNoHeadersUnlessAskedTo) {
  App app(1);
  Limiter limiter;
  app.get("/x", ok, {.guards = {limiter.limit("1/minute")}});
  test::RunningApp running(app);
  auto allowed = test::request(running.port(), "GET", "/x");
  EXPECT_EQ(allowed->status, 200);
  EXPECT_EQ(allowed->header("ratelimit-remaining"), "");
  auto limited = test::request(running.port(), "GET", "/x");
  EXPECT_EQ(limited->status, 429);
  EXPECT_EQ(limited->header("ratelimit-limit"), "1");
}

TEST(Limiter, SeveralLimitsAllHold) {
  App app(1);
  Limiter limiter;
  app.get("/x", ok, {.guards = {limiter.limit("3/second;4/hour")}});
  test::RunningApp running(app);
  auto first = burst(running.port(), "/x", 10);
  EXPECT_EQ(first[200], 3);
  EXPECT_EQ(first[429], 7);
  std::this_thread::sleep_for(std::chrono::milliseconds(1100));  // the per-second budget comes back...
  auto second = burst(running.port(), "/x", 10);
  EXPECT_EQ(second[200], 1);  // ...but the hour has one request left
  EXPECT_EQ(second[429], 9);
}

TEST(Limiter, RoutesHaveTheirOwnBudgetUnlessShared) {
  App app(1);
  Limiter limiter;
  auto per_route = limiter.limit("2/minute");
  auto shared = limiter.shared_limit("3/minute", "reports");
  app.get("/a", ok, {.guards = {per_route}});
  app.get("/b", ok, {.guards = {per_route}});
  app.get("/c", ok, {.guards = {shared}});
  app.get("/d", ok, {.guards = {shared}});
  test::RunningApp running(app);
  EXPECT_EQ(burst(running.port(), "/a", 5)[200], 2);
  EXPECT_EQ(burst(running.port(), "/b", 5)[200], 2);
  EXPECT_EQ(burst(running.port(), "/c", 2)[200], 2);
  EXPECT_EQ(burst(running.port(), "/d", 5)[200], 1);
}

TEST(Limiter, ForwardedForIsBelievedOnlyFromTrustedProxies) {
  App app(1);
  Limiter trusting({.key = by_client_address(TrustedProxies({"127.0.0.0/8"}))});
  Limiter distrusting({.key = by_client_address(TrustedProxies({"10.0.0.0/8"}))});
  app.get("/trusting", ok, {.guards = {trusting.limit("2/minute")}});
  app.get("/distrusting", ok, {.guards = {distrusting.limit("2/minute")}});
  test::RunningApp running(app);
  // Through the trusted proxy (127.0.0.1) each client has its own budget; the left-most entry
  // is the client's own claim and is ignored when a proxy appended the real address.
  EXPECT_EQ(burst(running.port(), "/trusting", 5, "X-Forwarded-For: 203.0.113.7\r\n")[200], 2);
  EXPECT_EQ(burst(running.port(), "/trusting", 5, "X-Forwarded-For: 203.0.113.8\r\n")[200], 2);
  EXPECT_EQ(burst(running.port(), "/trusting", 5, "X-Forwarded-For: 1.1.1.1, 203.0.113.8\r\n")[200], 0);
  // From a peer that is not a trusted proxy the header is the client's word: one budget.
  EXPECT_EQ(burst(running.port(), "/distrusting", 3, "X-Forwarded-For: 203.0.113.7\r\n")[200], 2);
  EXPECT_EQ(burst(running.port(), "/distrusting", 3, "X-Forwarded-For: 203.0.113.8\r\n")[200], 0);
}

TEST(Limiter, ApiKeysHaveTheirOwnBudget) {
  App app(1);
  Limiter limiter({.key = by_api_key()});
  app.get("/x", ok, {.guards = {limiter.limit("2/minute")}});
  test::RunningApp running(app);
  EXPECT_EQ(burst(running.port(), "/x", 3, "Authorization: Bearer alpha\r\n")[200], 2);
  EXPECT_EQ(burst(running.port(), "/x", 3, "Authorization: Bearer beta\r\n")[200], 2);
  EXPECT_EQ(burst(running.port(), "/x", 3)[200], 2);  // no key: by address
}

TEST(Limiter, CustomKeyFunction) {
  App app(1);
  Limiter limiter;
  app.get("/x", ok,
          {.guards = {limiter.limit("1/minute", [](const Request& r) { return r.query("tenant").value_or(""); })}});
  test::RunningApp running(app);
  EXPECT_EQ(burst(running.port(), "/x?tenant=a", 3)[200], 1);
  EXPECT_EQ(burst(running.port(), "/x?tenant=b", 3)[200], 1);
}

TEST(Limiter, BadSpecIsRejectedAtRegistration) {
  Limiter limiter;
  EXPECT_THROW(limiter.limit("ten per minute"), std::invalid_argument);
}

TEST(TrustedProxies, MatchesAddressesAndNetworks) {
  TrustedProxies proxies({"10.0.0.0/8", "192.168.1.5", "fd00::/8"});
  auto address = [](const char* text) { return asio::ip::make_address(text); };
  EXPECT_TRUE(proxies.contains(address("10.200.3.4")));
  EXPECT_FALSE(proxies.contains(address("11.0.0.1")));
  EXPECT_TRUE(proxies.contains(address("192.168.1.5")));
  EXPECT_FALSE(proxies.contains(address("192.168.1.6")));
  EXPECT_TRUE(proxies.contains(address("fd12::1")));
  EXPECT_TRUE(proxies.contains(address("::ffff:10.1.1.1")));  // v4-mapped
  EXPECT_THROW(TrustedProxies({"10.0.0.0/33"}), std::invalid_argument);
  EXPECT_THROW(TrustedProxies({"proxy.local"}), std::invalid_argument);
}

}  // namespace
}  // namespace sluice::limits
