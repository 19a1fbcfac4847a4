// Request ids, /metrics and /ready on the real binary.
#include "job_polling.hpp"
#include "raw_http.hpp"
#include "redis_server.hpp"
#include "server_process.hpp"

#include <gtest/gtest.h>

#include <regex>

namespace sluice::test {
namespace {

using namespace std::chrono_literals;

TEST(Operations, RequestIdIsKeptOrGenerated) {
  ServerProcess server({"--access-log"});
  auto kept = request(server.port(), "GET", "/health", "", "X-Request-ID: trace-42\r\nAuthorization: Bearer s3cret\r\n");
  ASSERT_TRUE(kept);
  EXPECT_EQ(kept->header("x-request-id"), "trace-42");
  auto made = request(server.port(), "GET", "/health");
  ASSERT_TRUE(made);
  EXPECT_TRUE(std::regex_match(made->header("x-request-id"), std::regex("[0-9a-f]{15}"))) << made->header("x-request-id");
  auto too_long = request(server.port(), "GET", "/health", "", "X-Request-ID: " + std::string(200, 'a') + "\r\n");
  ASSERT_TRUE(too_long);
  EXPECT_EQ(too_long->header("x-request-id").size(), 15u) << "an unreasonable id is replaced";
  EXPECT_TRUE(server.wait_for_log(R"("request_id":"trace-42")", 5s)) << server.log();
  EXPECT_EQ(server.log().find("s3cret"), std::string::npos) << "credentials never reach the log";
}

TEST(Operations, MetricsCountRequestsByRouteMethodAndStatus) {
  ServerProcess server({});
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(request(server.port(), "GET", "/health"));
  for (int i = 0; i < 2; ++i) ASSERT_TRUE(request(server.port(), "GET", "/jobs/a-missing-job"));
  ASSERT_TRUE(request(server.port(), "GET", "/no/such/path"));
  auto metrics = request(server.port(), "GET", "/metrics");
  ASSERT_TRUE(metrics);
  EXPECT_EQ(metrics->header("content-type"), "text/plain; version=0.0.4; charset=utf-8");
  const auto& text = metrics->body;
  EXPECT_NE(text.find("sluice_http_requests_total{route=\"/health\",method=\"GET\",status=\"200\"} 5\n"),
            std::string::npos) << text;
  EXPECT_NE(text.find("sluice_http_requests_total{route=\"/jobs/{job_id}\",method=\"GET\",status=\"404\"} 2\n"),
            std::string::npos);
  EXPECT_NE(text.find("sluice_http_requests_total{route=\"none\",method=\"GET\",status=\"404\"} 1\n"),
            std::string::npos);
  EXPECT_NE(text.find("sluice_http_request_duration_seconds_count{route=\"/health\",method=\"GET\"} 5\n"),
            std::string::npos);
  EXPECT_NE(text.find("sluice_http_requests_in_flight 1\n"), std::string::npos) << "the scrape itself";
  EXPECT_NE(text.find("sluice_jobs{state=\"queued\"} 0\n"), std::string::npos);
}

TEST(Operations, MetricsCountJobsByState) {
  ServerProcess server({"--job-max-attempts", "1"});
  auto ok = start_demo_job(server.port(), 1, 10);
  auto bad = start_demo_job(server.port(), 0, 10);
  wait_for_job(server.port(), ok);
  wait_for_job(server.port(), bad);
  auto metrics = request(server.port(), "GET", "/metrics");
  ASSERT_TRUE(metrics);
  EXPECT_NE(metrics->body.find("sluice_jobs{state=\"succeeded\"} 1\n"), std::string::npos) << metrics->body;
  EXPECT_NE(metrics->body.find("sluice_jobs{state=\"failed\"} 1\n"), std::string::npos);
}

TEST(Operations, ReadyReportsEachDependency) {
  RedisServer redis;
  ServerProcess server({"--redis-url", redis.url()});
  auto ready = request(server.port(), "GET", "/ready");
  ASSERT_TRUE(ready);
  EXPECT_EQ(ready->status, 200);
  auto body = json_of(*ready);
  EXPECT_EQ(body.at("status"), "ready");
  EXPECT_EQ(body.at("checks").at("job_store").at("backend"), "redis");
  EXPECT_EQ(body.at("checks").at("model").at("status"), "ok");
  redis.stop();
  auto down = request(server.port(), "GET", "/ready", "", "", std::chrono::seconds(20));
  ASSERT_TRUE(down);
  EXPECT_EQ(down->status, 503);
  EXPECT_EQ(json_of(*down).at("checks").at("job_store").at("status"), "unavailable");
  redis.start();
  auto back = request(server.port(), "GET", "/ready");
  ASSERT_TRUE(back);
  EXPECT_EQ(back->status, 200) << "reconnects once Redis is back";
}

/// Every user of --redis-url (jobs, rate limits, the shared cache) authenticates with the
/// password in the URL: with a wrong one, each would fail (the server counts it) instead.
TEST(Operations, RedisPasswordInTheUrlReachesJobsLimitsAndCache) {
  RedisServer redis("pa55word");
  ServerProcess server({"--redis-url", redis.url(), "--rate-limit", "1000/minute", "--context-cache-ttl-ms", "60000"});
  auto ready = request(server.port(), "GET", "/ready");
  ASSERT_TRUE(ready);
  EXPECT_EQ(ready->status, 200) << ready->body;

  auto id = start_demo_job(server.port(), 7, 10);  // jobs
  ASSERT_FALSE(id.empty());
  auto job = wait_for_job(server.port(), id);
  ASSERT_TRUE(job.is_object());
  EXPECT_EQ(job.at("state"), "succeeded");
  for (int i = 0; i < 2; ++i) {  // rate limit (global) and cache (context of /generate)
    auto generated = request(server.port(), "GET", "/generate?prompt=redis");
    ASSERT_TRUE(generated);
    EXPECT_EQ(generated->status, 200) << generated->body;
  }

  auto metrics = request(server.port(), "GET", "/metrics");
  ASSERT_TRUE(metrics);
  const auto& text = metrics->body;
  EXPECT_NE(text.find("sluice_rate_limit_requests_total{outcome=\"store_error\"} 0\n"), std::string::npos) << text;
  EXPECT_EQ(text.find("sluice_rate_limit_requests_total{outcome=\"allowed\"} 0\n"), std::string::npos) << text;
  EXPECT_NE(text.find("sluice_cache_errors_total{cache=\"shared\"} 0\n"), std::string::npos) << text;
  EXPECT_NE(text.find("sluice_cache_hits_total{cache=\"shared\"} 1\n"), std::string::npos) << text;
  EXPECT_NE(text.find("sluice_jobs{state=\"succeeded\"} 1\n"), std::string::npos) << text;
}

}  // namespace
}  // namespace sluice::test
