// The OpenAI-compatible endpoints on the real binary under concurrent load: batches form (as
// /metrics shows), a full queue answers 503 in OpenAI's error shape.
#include "raw_http.hpp"
#include "server_process.hpp"

#include <gtest/gtest.h>
#include <boost/json/parse.hpp>

#include <regex>
#include <thread>

namespace sluice::test {
namespace {

/// `clients` threads, each POSTing one embedding request at the same moment.
std::vector<std::optional<RawResponse>> concurrent_embeddings(std::uint16_t port, int clients) {
  std::vector<std::optional<RawResponse>> responses(static_cast<std::size_t>(clients));
  std::vector<std::thread> threads;
  for (int i = 0; i < clients; ++i)
    threads.emplace_back([&, i] {
      auto body = R"({"model":"sluice-embed","input":"concurrent text number )" + std::to_string(i) + R"("})";
      responses[static_cast<std::size_t>(i)] =
          request(port, "POST", "/v1/embeddings", body, "Content-Type: application/json\r\n");
    });
  for (auto& t : threads) t.join();
  return responses;
}

double metric(const std::string& text, const std::string& name) {
  std::smatch match;
  if (!std::regex_search(text, match, std::regex(name + R"(\{model="sluice-embed"\} (\d+))"))) return -1;
  return std::stod(match[1]);
}

TEST(AiEndpoints, ConcurrentEmbeddingRequestsFormBatches) {
  ServerProcess server({"--compute-threads", "1"});
  for (const auto& r : concurrent_embeddings(server.port(), 32)) {
    ASSERT_TRUE(r);
    ASSERT_EQ(r->status, 200) << r->body;
    EXPECT_EQ(boost::json::parse(r->body).at("data").at(0).at("embedding").as_array().size(), 384u);
  }
  auto metrics = request(server.port(), "GET", "/metrics");
  ASSERT_TRUE(metrics);
  double batches = metric(metrics->body, "sluice_ai_batches_total");
  double texts = metric(metrics->body, "sluice_ai_batch_texts_total");
  EXPECT_EQ(texts, 32);
  ASSERT_GT(batches, 0);
  EXPECT_GT(texts / batches, 1.0) << metrics->body;  // the mean batch size
}

TEST(AiEndpoints, BatchingOffRunsEveryRequestAlone) {
  ServerProcess server({"--compute-threads", "1", "--batch-max-size", "1"});
  for (const auto& r : concurrent_embeddings(server.port(), 8)) ASSERT_EQ(r->status, 200);
  auto metrics = request(server.port(), "GET", "/metrics");
  EXPECT_EQ(metric(metrics->body, "sluice_ai_batches_total"), 8);
}

TEST(AiEndpoints, AFullQueueAnswers503InOpenAisShape) {
  ServerProcess server({"--compute-threads", "1", "--batch-max-size", "1", "--batch-max-queue", "1"});
  int ok = 0, refused = 0;
  for (const auto& r : concurrent_embeddings(server.port(), 32)) {
    ASSERT_TRUE(r);
    if (r->status == 200) {
      ++ok;
      continue;
    }
    ASSERT_EQ(r->status, 503) << r->body;
    ++refused;
    auto error = boost::json::parse(r->body).at("error");
    EXPECT_EQ(error.at("code"), "queue_full");
    EXPECT_EQ(error.at("type"), "server_error");
  }
  EXPECT_GT(ok, 0);
  EXPECT_GT(refused, 0);
  auto metrics = request(server.port(), "GET", "/metrics");
  EXPECT_EQ(metric(metrics->body, "sluice_ai_rejected_total"), refused);
}

TEST(AiEndpoints, CallsToARemoteProviderShowInUpstreamMetrics) {
  ServerProcess upstream({});
  const std::string host = "127.0.0.1:" + std::to_string(upstream.port());
  ServerProcess server({"--provider-url", "http://" + host + "/v1", "--embedding-model", "sluice-embed"});
  auto body = R"({"model":"sluice-embed","input":"through the provider"})";
  for (int i = 0; i < 2; ++i) {
    auto r = request(server.port(), "POST", "/v1/embeddings", body, "Content-Type: application/json\r\n");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 200) << r->body;
  }
  auto metrics = request(server.port(), "GET", "/metrics")->body;
  EXPECT_NE(metrics.find("sluice_upstream_requests_total{host=\"" + host + "\",outcome=\"200\"} 2\n"),
            std::string::npos)
      << metrics;
  EXPECT_NE(metrics.find("sluice_upstream_request_duration_seconds_count{host=\"" + host + "\"} 2\n"),
            std::string::npos);
}

}  // namespace
}  // namespace sluice::test
