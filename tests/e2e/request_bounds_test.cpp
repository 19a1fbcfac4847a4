// Bounded memory per request on the real binary: requests that would take the server's memory
// are refused up front with a clear 4xx, and the server stays small.
#include "raw_http.hpp"
#include "server_process.hpp"

#include <boost/json/parse.hpp>
#include <gtest/gtest.h>

#include <fstream>
#include <string>
#include <string_view>

namespace sluice::test {
namespace {

/// A memory figure of the process in KiB from /proc/<pid>/status: "VmRSS" (all resident
/// memory) or "RssAnon" (its heap, not the file pages it maps).
long status_kib(int pid, std::string_view field) {
  std::ifstream status("/proc/" + std::to_string(pid) + "/status");
  for (std::string line; std::getline(status, line);)
    if (line.starts_with(field) && line.size() > field.size() && line[field.size()] == ':')
      return std::stol(line.substr(field.size() + 1));
  return -1;
}
long resident_kib(int pid) { return status_kib(pid, "VmRSS"); }
long anonymous_kib(int pid) { return status_kib(pid, "RssAnon"); }

std::string many_inputs(std::size_t n) {
  std::string body = R"({"model":"sluice-embed","input":[)";
  for (std::size_t i = 0; i < n; ++i) body += i ? R"(,"x")" : R"("x")";
  return body + "]}";
}

boost::json::value error_of(const RawResponse& r) { return boost::json::parse(r.body).at("error"); }

// Round 1: this 1.2 MB body grew the server to 23.5 GB and the OOM killer ended it.
TEST(RequestBounds, TwoHundredThousandInputsAreRefusedAndCostNoMemory) {
  ServerProcess server({});
  ASSERT_EQ(request(server.port(), "POST", "/v1/embeddings", many_inputs(1), "Content-Type: application/json\r\n")->status,
            200);
  const long before = resident_kib(server.pid());
  auto r = request(server.port(), "POST", "/v1/embeddings", many_inputs(200'000), "Content-Type: application/json\r\n");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 400) << r->body;
  EXPECT_EQ(error_of(*r).at("code"), "too_many_inputs");
  EXPECT_EQ(error_of(*r).at("param"), "input");
  const long after = resident_kib(server.pid());
  EXPECT_LT(after - before, 50 * 1024) << before << " KiB → " << after << " KiB";
  // The largest request allowed (2,048 inputs) is served.
  r = request(server.port(), "POST", "/v1/embeddings", many_inputs(2048), "Content-Type: application/json\r\n");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(boost::json::parse(r->body).at("data").as_array().size(), 2048u);
}

TEST(RequestBounds, ARequestLargerThanTheEmbeddingQueueIsRefusedNotAdmittedAlone) {
  ServerProcess server({"--batch-max-queue", "100"});
  auto r = request(server.port(), "POST", "/v1/embeddings", many_inputs(101), "Content-Type: application/json\r\n");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 413) << r->body;
  EXPECT_EQ(error_of(*r).at("code"), "too_many_inputs");
  EXPECT_EQ(request(server.port(), "POST", "/v1/embeddings", many_inputs(100), "Content-Type: application/json\r\n")->status,
            200);
}

TEST(RequestBounds, TokensMessagesAndAnswerSizeHaveLimits) {
  ServerProcess server({"--max-input-tokens", "3", "--max-chat-messages", "2", "--max-completion-tokens", "50",
                        "--max-embedding-inputs", "100000", "--batch-max-queue", "100000"});
  const std::string json = "Content-Type: application/json\r\n";
  auto r = request(server.port(), "POST", "/v1/embeddings", R"({"input":["one two three","one two three four"]})", json);
  EXPECT_EQ(r->status, 400);
  EXPECT_EQ(error_of(*r).at("code"), "input_too_long");
  EXPECT_NE(error_of(*r).at("message").as_string().find("input 1"), std::string::npos);

  r = request(server.port(), "POST", "/v1/chat/completions",
              R"({"messages":[{"role":"user","content":"a"},{"role":"user","content":"b"},{"role":"user","content":"c"}]})",
              json);
  EXPECT_EQ(r->status, 400);
  EXPECT_EQ(error_of(*r).at("code"), "too_many_messages");

  r = request(server.port(), "POST", "/v1/completions", R"({"prompt":"hi","max_tokens":51})", json);
  EXPECT_EQ(r->status, 400);
  EXPECT_EQ(error_of(*r).at("param"), "max_tokens");
  EXPECT_EQ(request(server.port(), "POST", "/v1/completions", R"({"prompt":"hi","max_tokens":50})", json)->status, 200);

  // 60,000 inputs × 384 floats would be ~370 MB of JSON: refused before any work.
  r = request(server.port(), "POST", "/v1/embeddings", many_inputs(60'000), json);
  EXPECT_EQ(r->status, 413);
  EXPECT_EQ(error_of(*r).at("code"), "response_too_large");
}

// Uploads are spooled to a file as they arrive and read through a mapping: a 120 MB file
// upload leaves the server's heap as it was.
TEST(RequestBounds, AFileUploadNeverSitsInTheHeap) {
  ServerProcess server({});
  const std::string file(120 << 20, 'x');
  const std::string body = "--b\r\nContent-Disposition: form-data; name=\"purpose\"\r\n\r\nbatch\r\n--b\r\n"
                           "Content-Disposition: form-data; name=\"file\"; filename=\"big.jsonl\"\r\n\r\n" +
                           file + "\r\n--b--\r\n";
  const long before = anonymous_kib(server.pid());
  auto r = request(server.port(), "POST", "/v1/files", body, "Content-Type: multipart/form-data; boundary=b\r\n");
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 200) << r->body;
  const long after = anonymous_kib(server.pid());
  EXPECT_LT(after - before, 30 * 1024) << before << " KiB → " << after << " KiB";
  EXPECT_EQ(boost::json::parse(r->body).at("bytes"), file.size());
}

// A 100 MB NDJSON upload is checked, then parsed and stored 1,000 documents at a time: the
// server never holds it whole, neither as bytes nor as documents.
/// A 100 MB upload of ~13,000 documents grows the server by far less than its size: the body is
/// spooled, parsed as it is read and stored a slice of documents at a time.
void expect_upload_stored_a_slice_at_a_time(bool as_json) {
  ServerProcess server({});
  auto created = request(server.port(), "POST", "/datasets", R"({"name":"big"})", "Content-Type: application/json\r\n");
  ASSERT_TRUE(created);
  ASSERT_EQ(created->status, 201) << created->body;
  const auto id = std::to_string(boost::json::parse(created->body).at("id").to_number<std::int64_t>());
  std::string text;
  for (int i = 0; i < 1000; ++i) text += "word" + std::to_string(i) + " ";
  std::string body = as_json ? R"({"documents":[)" : "";
  for (int i = 0; body.size() < (100u << 20); ++i) {
    if (as_json && i > 0) body += ",\n";
    body += R"({"_id":"d)" + std::to_string(i) + R"(","title":"","text":")" + text + "\"}";
    if (!as_json) body += "\n";
  }
  if (as_json) body += "]}";
  const long before = anonymous_kib(server.pid());
  auto r = request(server.port(), "POST", "/datasets/" + id + "/documents", body,
                   as_json ? "Content-Type: application/json\r\n" : "Content-Type: application/x-ndjson\r\n");
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 201) << r->body.substr(0, 500);
  const long after = anonymous_kib(server.pid());
  EXPECT_LT(after - before, 60 * 1024) << before << " KiB → " << after << " KiB";
  EXPECT_GT(boost::json::parse(r->body).at("added").to_number<std::int64_t>(), 10000);
}

TEST(RequestBounds, AnNdjsonDatasetUploadIsStoredASliceAtATime) { expect_upload_stored_a_slice_at_a_time(false); }

TEST(RequestBounds, AJsonDatasetUploadIsParsedAsItIsRead) { expect_upload_stored_a_slice_at_a_time(true); }

// The /v1 routes answer every failure of their own in OpenAI's shape, their deadline's included.
TEST(RequestBounds, APastDeadlineOnV1IsA504InOpenAisShape) {
  ServerProcess server({"--request-timeout-ms", "1"});
  auto r = request(server.port(), "POST", "/v1/embeddings", many_inputs(2000), "Content-Type: application/json\r\n");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 504) << r->body;
  EXPECT_EQ(error_of(*r).at("code"), "deadline_exceeded");
  EXPECT_EQ(error_of(*r).at("type"), "server_error");
}

}  // namespace
}  // namespace sluice::test
