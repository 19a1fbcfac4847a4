// The server's protection flags end to end: API keys, global and per-route rate limits,
// admission control and deadlines on model routes, and the metrics they report.
#include "context_api.hpp"
#include "job_polling.hpp"
#include "raw_http.hpp"
#include "redis_server.hpp"
#include "server_process.hpp"
#include "test_app.hpp"

#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json/parse.hpp>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <optional>
#include <thread>

namespace sluice::test {
namespace {

using namespace std::chrono_literals;
namespace asio = boost::asio;
using http::Request;
using http::Response;

TEST(Protection, ApiKeysFromAFileGuardEveryRouteButOperations) {
  auto path = std::filesystem::temp_directory_path() / ("sluice-e2e-keys-" + std::to_string(::getpid()));
  std::ofstream(path) << "# keys\nsk-test-123\n";
  ServerProcess server({"--api-keys-file", path.string()});
  std::filesystem::remove(path);
  EXPECT_EQ(request(server.port(), "GET", "/ai")->status, 401);
  EXPECT_EQ(request(server.port(), "GET", "/ai", "", "Authorization: Bearer wrong\r\n")->status, 401);
  EXPECT_EQ(request(server.port(), "GET", "/ai", "", "Authorization: Bearer sk-test-123\r\n")->status, 200);
  for (const char* open : {"/health", "/ready", "/metrics", "/openapi.json", "/docs"})
    EXPECT_EQ(request(server.port(), "GET", open)->status, 200) << open;
}

TEST(Protection, GlobalRateLimitCountsEveryRouteTogether) {
  ServerProcess server({"--rate-limit", "5/minute"});
  int allowed = 0, limited = 0;
  for (const char* path : {"/health", "/ai", "/health", "/jobs", "/health", "/health", "/ai", "/health"}) {
    auto r = request(server.port(), "GET", path);
    allowed += r->status == 200;
    limited += r->status == 429;
  }
  EXPECT_EQ(allowed, 5);
  EXPECT_EQ(limited, 3);
}

TEST(Protection, ModelRouteShedsPastItsQueueAndReportsIt) {
  ContextApi context(400ms);
  ServerProcess server({"--context-url", context.url(), "--max-in-flight", "1", "--max-queue", "1"});
  std::vector<int> statuses(5);
  std::vector<std::thread> clients;
  for (int i = 0; i < 5; ++i)
    clients.emplace_back([&, i] {
      std::this_thread::sleep_for(std::chrono::milliseconds(20 * i));  // in order: the first two get in
      statuses[i] = request(server.port(), "GET", "/generate?prompt=hi")->status;
    });
  for (auto& client : clients) client.join();
  EXPECT_EQ(std::count(statuses.begin(), statuses.end(), 200), 2);
  EXPECT_EQ(std::count(statuses.begin(), statuses.end(), 503), 3);
  auto metrics = request(server.port(), "GET", "/metrics")->body;
  EXPECT_NE(metrics.find("sluice_admission_requests_total{route=\"/generate\",outcome=\"admitted\"} 2\n"),
            std::string::npos) << metrics;
  EXPECT_NE(metrics.find("sluice_admission_requests_total{route=\"/generate\",outcome=\"shed_queue_full\"} 3\n"),
            std::string::npos);
  EXPECT_NE(metrics.find("sluice_admission_queue_depth{route=\"/generate\"} 0\n"), std::string::npos);
  EXPECT_NE(metrics.find("sluice_upstream_requests_total{host=\"127.0.0.1:"), std::string::npos);
  EXPECT_NE(metrics.find(",outcome=\"200\"} 2\n"), std::string::npos);
}

TEST(Protection, RequestDeadlineIs504AndCutsTheUpstreamCallShort) {
  ContextApi context(3s);
  ServerProcess server({"--context-url", context.url(), "--context-timeout-ms", "10000", "--request-timeout-ms", "300"});
  auto r = request(server.port(), "GET", "/generate?prompt=hi");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 504);
  EXPECT_EQ(json_of(*r).at("code"), "deadline_exceeded");
}

TEST(Protection, TwoServerProcessesShareOneRedisRateLimit) {
  RedisServer redis;
  ServerProcess a({"--redis-url", redis.url(), "--ai-rate-limit", "7/minute", "--job-workers", "0"});
  ServerProcess b({"--redis-url", redis.url(), "--ai-rate-limit", "7/minute", "--job-workers", "0"});
  int allowed = 0, limited = 0;
  for (int i = 0; i < 10; ++i) {
    for (auto* server : {&a, &b}) {
      auto status = request(server->port(), "GET", "/ai")->status;
      allowed += status == 200;
      limited += status == 429;
    }
  }
  EXPECT_EQ(allowed, 7);
  EXPECT_EQ(limited, 13);
}

}  // namespace
}  // namespace sluice::test
