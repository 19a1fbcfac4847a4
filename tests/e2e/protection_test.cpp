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

/// An OpenAI-compatible provider whose chat completions take `delay`: a slow model.
class SlowProvider {
 public:
  explicit SlowProvider(std::chrono::milliseconds delay) {
    app_.post("/v1/chat/completions", [delay](Request&) -> asio::awaitable<Response> {
      asio::steady_timer timer(co_await asio::this_coro::executor, delay);
      co_await timer.async_wait(asio::as_tuple(asio::use_awaitable));
      co_return Response::json(boost::json::parse(
          R"({"id":"c","object":"chat.completion","created":0,"model":"m","choices":[{"index":0,)"
          R"("message":{"role":"assistant","content":"slowly"},"finish_reason":"stop"}],)"
          R"("usage":{"prompt_tokens":1,"completion_tokens":1,"total_tokens":2}})"));
    });
    running_.emplace(app_);
  }
  std::string base_url() const { return running_->url("/v1"); }

 private:
  App app_{1};
  std::optional<RunningApp> running_;
};

/// Five requests started 20 ms apart, so that they reach the server in order.
std::vector<std::optional<RawResponse>> staggered(std::uint16_t port, const std::string& method,
                                                  const std::string& target) {
  std::vector<std::optional<RawResponse>> responses(5);
  std::vector<std::thread> clients;
  for (int i = 0; i < 5; ++i)
    clients.emplace_back([&, i] {
      std::this_thread::sleep_for(std::chrono::milliseconds(20 * i));
      responses[i] = request(port, method, target);
    });
  for (auto& client : clients) client.join();
  return responses;
}

TEST(Protection, ModelStageShedsPastItsQueueAndReportsIt) {
  SlowProvider provider(400ms);
  ServerProcess server({"--provider-url", provider.base_url(), "--max-in-flight", "1", "--max-queue", "1"});
  int ok = 0, shed = 0;
  for (const auto& r : staggered(server.port(), "POST", "/ai/generate?prompt=hi")) {
    ASSERT_TRUE(r);
    ok += r->status == 200;
    if (r->status != 503) continue;
    ++shed;
    EXPECT_EQ(r->header("retry-after"), "1");
    EXPECT_EQ(json_of(*r).at("code"), "overloaded");
  }
  EXPECT_EQ(ok, 2);
  EXPECT_EQ(shed, 3);
  auto metrics = request(server.port(), "GET", "/metrics")->body;
  EXPECT_NE(metrics.find("sluice_admission_requests_total{stage=\"generate\",outcome=\"admitted\"} 2\n"),
            std::string::npos) << metrics;
  EXPECT_NE(metrics.find("sluice_admission_requests_total{stage=\"generate\",outcome=\"shed_queue_full\"} 3\n"),
            std::string::npos);
  EXPECT_NE(metrics.find("sluice_admission_queue_depth{stage=\"generate\"} 0\n"), std::string::npos);
}

// Round 1's throttle: a cap on the whole request counted the wait on the context API. Requests
// waiting on I/O hold no model slot, so one slot serves them all (a whole-request cap would
// time the fourth and fifth out of its queue: 1 s < 3 × 400 ms).
TEST(Protection, WaitingOnTheContextApiTakesNoModelSlot) {
  ContextApi context(400ms);
  ServerProcess server({"--context-url", context.url(), "--max-in-flight", "1", "--max-queue", "4"});
  for (const auto& r : staggered(server.port(), "GET", "/generate?prompt=hi")) {
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 200) << r->body;
  }
  auto metrics = request(server.port(), "GET", "/metrics")->body;
  EXPECT_NE(metrics.find("sluice_admission_requests_total{stage=\"generate\",outcome=\"admitted\"} 5\n"),
            std::string::npos) << metrics;
  EXPECT_NE(metrics.find("sluice_upstream_requests_total{host=\"127.0.0.1:"), std::string::npos);
  EXPECT_NE(metrics.find(",outcome=\"200\"} 5\n"), std::string::npos);
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
