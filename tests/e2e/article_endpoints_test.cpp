// The article's endpoints, end to end: the real `sluice` binary, a real context API on
// loopback (a Sluice app in this process), and plain sockets in between.
#include "context_api.hpp"
#include "job_polling.hpp"
#include "raw_http.hpp"
#include "server_process.hpp"
#include "test_app.hpp"

#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json/parse.hpp>
#include <gtest/gtest.h>

#include <csignal>
#include <mutex>
#include <optional>

namespace sluice::test {
namespace {

using namespace std::chrono_literals;
namespace asio = boost::asio;
using http::Request;
using http::Response;

TEST(ArticleEndpoints, Health) {
  ServerProcess server({});
  auto r = request(server.port(), "GET", "/health");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->body, R"({"status":"ok"})");
}

TEST(ArticleEndpoints, GenerateFetchesContextThenRunsTheModel) {
  ContextApi context;
  ServerProcess server({"--context-url", context.url("/context")});
  auto r = request(server.port(), "GET", "/generate?prompt=who+serves+AI%20backends");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200) << r->body;
  EXPECT_EQ(json_of(*r).at("result"), "Sluice serves AI backends.");
  EXPECT_EQ(context.last_query(), "who serves AI backends");
  EXPECT_EQ(context.last_request_id(), r->header("x-request-id")) << "the request id travels upstream";
  auto traced = request(server.port(), "GET", "/generate?prompt=x", "", "X-Request-ID: trace-7\r\n");
  ASSERT_TRUE(traced);
  EXPECT_EQ(context.last_request_id(), "trace-7");
}

TEST(ArticleEndpoints, GenerateWithoutPromptIs422InFastApiShape) {
  ServerProcess server({});
  auto r = request(server.port(), "GET", "/generate");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 422);
  auto detail = json_of(*r).at("detail").as_array();
  ASSERT_EQ(detail.size(), 1u);
  EXPECT_EQ(detail[0].at("type"), "missing");
  EXPECT_EQ(detail[0].at("loc"), boost::json::parse(R"(["query","prompt"])"));
  EXPECT_EQ(detail[0].at("msg"), "Field required");
}

TEST(ArticleEndpoints, GenerateUsesLocalContextByDefault) {
  ServerProcess server({});
  auto r = request(server.port(), "GET", "/generate?prompt=what+runs+after+the+response");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(json_of(*r).at("result"), "Background tasks run after the response is sent.");
}

TEST(ArticleEndpoints, ContextCacheMakesOneUpstreamCallPerPrompt) {
  ContextApi context;
  ServerProcess server({"--context-url", context.url("/context"), "--context-cache-ttl-ms", "60000"});
  for (int i = 0; i < 3; ++i) EXPECT_EQ(request(server.port(), "GET", "/generate?prompt=same")->status, 200);
  EXPECT_EQ(context.calls(), 1);
  EXPECT_EQ(request(server.port(), "GET", "/generate?prompt=other")->status, 200);
  EXPECT_EQ(context.calls(), 2);
  auto metrics = request(server.port(), "GET", "/metrics")->body;
  EXPECT_NE(metrics.find("sluice_cache_hits_total{cache=\"shared\"} 2\n"), std::string::npos) << metrics;
  EXPECT_NE(metrics.find("sluice_cache_misses_total{cache=\"shared\"} 2\n"), std::string::npos);
}

TEST(ArticleEndpoints, ResponseCacheAnswersARepeatedGenerate) {
  ContextApi context;
  ServerProcess server({"--context-url", context.url("/context"), "--response-cache-ttl-ms", "60000"});
  auto first = request(server.port(), "GET", "/generate?prompt=hello");
  auto second = request(server.port(), "GET", "/generate?prompt=hello");
  EXPECT_EQ(first->header("x-cache"), "MISS");
  EXPECT_EQ(second->header("x-cache"), "HIT");
  EXPECT_EQ(second->body, first->body);
  EXPECT_EQ(context.calls(), 1);
}

TEST(ArticleEndpoints, SlowUpstreamIs504NotAHang) {
  ContextApi context;
  ServerProcess server({"--context-url", context.url("/slow"), "--context-timeout-ms", "200"});
  auto start = std::chrono::steady_clock::now();
  auto r = request(server.port(), "GET", "/generate?prompt=hi");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 504);
  EXPECT_EQ(json_of(*r).at("code"), "upstream_timeout");
  EXPECT_LT(std::chrono::steady_clock::now() - start, 650ms);
}

TEST(ArticleEndpoints, DeadUpstreamIs502) {
  std::uint16_t dead_port;
  {
    App probe{1};
    RunningApp running(probe);
    dead_port = running.port();
  }  // stopped: nothing listens there now
  ServerProcess server({"--context-url", "http://127.0.0.1:" + std::to_string(dead_port) + "/context"});
  auto r = request(server.port(), "GET", "/generate?prompt=hi");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 502);
  EXPECT_EQ(json_of(*r).at("code"), "upstream_unavailable");
  auto health = request(server.port(), "GET", "/health");
  ASSERT_TRUE(health);
  EXPECT_EQ(health->status, 200);
}

TEST(ArticleEndpoints, ProcessDatasetEnqueuesADurableJob) {
  ServerProcess server({});
  auto created = request(server.port(), "POST", "/datasets", R"({"name":"article"})", "Content-Type: application/json\r\n");
  ASSERT_TRUE(created);
  ASSERT_EQ(created->status, 201) << created->body;
  auto dataset = json_of(*created).at("id").as_int64();
  auto uploaded = request(server.port(), "POST", "/datasets/" + std::to_string(dataset) + "/documents",
                          R"({"documents":[{"id":"a","text":"Sluice serves models."}]})",
                          "Content-Type: application/json\r\n");
  ASSERT_TRUE(uploaded);
  ASSERT_EQ(uploaded->status, 201) << uploaded->body;
  auto r = request(server.port(), "POST", "/datasets/" + std::to_string(dataset) + "/process");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 202);
  auto body = json_of(*r);
  EXPECT_EQ(body.at("status"), "processing started");
  auto id = std::string(body.at("job_id").as_string());
  auto job = wait_for_job(server.port(), id);
  EXPECT_EQ(job.at("state"), "succeeded");
  EXPECT_EQ(job.at("result").at("chunks"), 1);
  EXPECT_EQ(job.at("result").at("indexed_chunks"), 1);
}

TEST(ArticleEndpoints, ProcessUnknownDatasetIs404) {
  ServerProcess server({});
  auto r = request(server.port(), "POST", "/datasets/7/process");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 404);
  EXPECT_EQ(json_of(*r).at("code"), "not_found");
}

TEST(ArticleEndpoints, ProcessDatasetRejectsNonIntegerIds) {
  ServerProcess server({});
  auto r = request(server.port(), "POST", "/datasets/seven/process");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 422);
  auto issue = json_of(*r).at("detail").as_array().at(0);
  EXPECT_EQ(issue.at("type"), "int_parsing");
  EXPECT_EQ(issue.at("loc"), boost::json::parse(R"(["path","dataset_id"])"));
  EXPECT_EQ(issue.at("input"), "seven");
}

TEST(ArticleEndpoints, FailingJobIsRetriedThenDeadLetteredAndServerKeepsServing) {
  ServerProcess server({"--job-max-attempts", "2", "--job-backoff-ms", "50"});
  auto r = request(server.port(), "POST", "/jobs/demo?label=0&documents=10");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 202);
  auto job = wait_for_job(server.port(), std::string(json_of(*r).at("job_id").as_string()));
  EXPECT_EQ(job.at("state"), "failed");
  EXPECT_EQ(job.at("attempts"), 2);
  EXPECT_EQ(job.at("last_error"), "label 0 is below 1");
  auto health = request(server.port(), "GET", "/health");
  ASSERT_TRUE(health);
  EXPECT_EQ(health->status, 200);
}

TEST(ArticleEndpoints, AiGenerateUsesTheInjectedModel) {
  ServerProcess server({});
  auto r = request(server.port(), "POST", "/ai/generate?prompt=hello%20world");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(json_of(*r).at("response"), "world hello");
  auto missing = request(server.port(), "POST", "/ai/generate");
  ASSERT_TRUE(missing);
  EXPECT_EQ(missing->status, 422);
}

TEST(ArticleEndpoints, AiIsRateLimitedTenPerMinutePerClient) {
  ServerProcess server({"--rate-limit-headers"});
  for (int i = 0; i < 10; ++i) {
    auto r = request(server.port(), "GET", "/ai");
    ASSERT_TRUE(r);
    ASSERT_EQ(r->status, 200) << "request " << i + 1;
    EXPECT_EQ(r->header("ratelimit-remaining"), std::to_string(9 - i));
  }
  auto limited = request(server.port(), "GET", "/ai");
  ASSERT_TRUE(limited);
  EXPECT_EQ(limited->status, 429);
  EXPECT_EQ(json_of(*limited).at("code"), "rate_limited");
  EXPECT_EQ(limited->header("retry-after"), "6");
  EXPECT_EQ(limited->header("ratelimit-limit"), "10");
  EXPECT_EQ(limited->header("ratelimit-remaining"), "0");
  EXPECT_EQ(limited->header("ratelimit-reset"), "60");  // seconds until the whole budget is back
}

TEST(ArticleEndpoints, BodyLimitFlagIsEnforced) {
  ServerProcess server({"--body-limit", "100"});
  auto r = request(server.port(), "POST", "/ai/generate?prompt=x", std::string(200, 'a'));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 413);
}

TEST(ArticleEndpoints, SigtermDrainsInFlightRequestsThenExitsCleanly) {
  ContextApi context;
  ServerProcess server({"--context-url", context.url("/slow")});
  RawConnection busy(server.port());
  ASSERT_TRUE(busy.send("GET /generate?prompt=useful HTTP/1.1\r\nHost: x\r\n\r\n"));
  std::this_thread::sleep_for(150ms);  // the context call is now in flight
  server.signal(SIGTERM);
  auto r = busy.read_response(5s);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(json_of(*r).at("result"), "Late but useful context.");
  EXPECT_EQ(server.wait_exit(5s), 0);
  EXPECT_NE(server.log().find("stopped"), std::string::npos);
}

TEST(ArticleEndpoints, NewConnectionsAreRefusedAfterShutdown) {
  ServerProcess server({});
  auto port = server.port();
  server.signal(SIGINT);
  EXPECT_EQ(server.wait_exit(5s), 0);
  EXPECT_THROW(RawConnection{port}, std::runtime_error);
}

}  // namespace
}  // namespace sluice::test
