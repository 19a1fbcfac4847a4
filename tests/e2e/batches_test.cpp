// /v1/files and /v1/batches end to end: the real binary, its data directory, and the faults a
// batch must survive (kill -9 mid-run, a deleted input file, bad lines, failing requests).
#include "job_polling.hpp"
#include "raw_http.hpp"
#include "redis_server.hpp"
#include "server_process.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <gtest/gtest.h>

#include <unistd.h>

#include <csignal>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <sstream>
#include <thread>

namespace sluice::test {
namespace {

using namespace std::chrono_literals;
namespace json = boost::json;

std::string bearer(const std::string& key) { return key.empty() ? "" : "Authorization: Bearer " + key + "\r\n"; }

std::optional<RawResponse> upload(std::uint16_t port, const std::string& content, const std::string& purpose = "batch",
                                  const std::string& key = "") {
  std::string body = "--sluiceboundary\r\nContent-Disposition: form-data; name=\"purpose\"\r\n\r\n" + purpose +
                     "\r\n--sluiceboundary\r\nContent-Disposition: form-data; name=\"file\"; filename=\"in.jsonl\"\r\n"
                     "Content-Type: application/jsonl\r\n\r\n" +
                     content + "\r\n--sluiceboundary--\r\n";
  return request(port, "POST", "/v1/files", body,
                 "Content-Type: multipart/form-data; boundary=sluiceboundary\r\n" + bearer(key));
}

std::string upload_id(std::uint16_t port, const std::string& content, const std::string& key = "") {
  auto response = upload(port, content, "batch", key);
  if (!response || response->status != 200) return "";
  return std::string(json_of(*response).at("id").as_string());
}

/// `dimensions` 0: the model's own (384).
std::string embedding_line(const std::string& id, const std::string& text, const std::string& model = "sluice-embed",
                           int dimensions = 0) {
  json::object body{{"model", model}, {"input", text}, {"encoding_format", "float"}};
  if (dimensions > 0) body["dimensions"] = dimensions;
  json::object line{{"custom_id", id}, {"method", "POST"}, {"url", "/v1/embeddings"}, {"body", std::move(body)}};
  return json::serialize(line) + "\n";
}

/// Short vectors: the outputs stay small enough to come back with a Content-Length.
std::string embedding_lines(int n) {
  std::string content;
  for (int i = 0; i < n; ++i)
    content += embedding_line("req-" + std::to_string(i),
                              "document number " + std::to_string(i) + " about batches, queues and embeddings",
                              "sluice-embed", 16);
  return content;
}

json::value create_batch(std::uint16_t port, const std::string& file_id, const std::string& endpoint = "/v1/embeddings",
                         const std::string& key = "") {
  json::object body{{"input_file_id", file_id}, {"endpoint", endpoint}, {"completion_window", "24h"}};
  auto response = request(port, "POST", "/v1/batches", json::serialize(body),
                          "Content-Type: application/json\r\n" + bearer(key));
  if (!response) return nullptr;
  auto value = json_of(*response);
  if (response->status != 200) ADD_FAILURE() << response->status << " " << response->body;
  return value;
}

json::value get_batch(std::uint16_t port, const std::string& id, const std::string& key = "") {
  auto response = request(port, "GET", "/v1/batches/" + id, "", bearer(key));
  return response && response->status == 200 ? json_of(*response) : json::value(nullptr);
}

bool is_final(const json::value& batch) {
  if (!batch.is_object()) return false;
  auto status = batch.at("status").as_string();
  return status == "completed" || status == "failed" || status == "cancelled" || status == "expired";
}

/// Polls the batch until `done` holds (default: a final status) or `limit` passes.
json::value wait_for_batch(std::uint16_t port, const std::string& id, std::chrono::milliseconds limit = 60s,
                           std::function<bool(const json::value&)> done = is_final) {
  auto deadline = std::chrono::steady_clock::now() + limit;
  json::value batch;
  while (std::chrono::steady_clock::now() < deadline) {
    batch = get_batch(port, id);
    if (done(batch)) return batch;
    std::this_thread::sleep_for(20ms);  // polling interval, not a wait for readiness
  }
  return batch;
}

std::string content(std::uint16_t port, const json::value& file_id, const std::string& key = "") {
  if (!file_id.is_string()) return "";
  auto response = request(port, "GET", "/v1/files/" + std::string(file_id.as_string()) + "/content", "", bearer(key));
  return response && response->status == 200 ? response->body : "";
}

/// custom_id → how many result lines carry it.
std::map<std::string, int> custom_ids(const std::string& jsonl) {
  std::map<std::string, int> seen;
  std::istringstream in(jsonl);
  for (std::string line; std::getline(in, line);)
    if (!line.empty()) ++seen[std::string(json::parse(line).at("custom_id").as_string())];
  return seen;
}

TEST(Files, UploadListRetrieveContentDelete) {
  ServerProcess server({});
  auto port = server.port();
  auto uploaded = upload(port, "{\"a\":1}\n");
  ASSERT_TRUE(uploaded);
  ASSERT_EQ(uploaded->status, 200) << uploaded->body;
  auto file = json_of(*uploaded);
  EXPECT_EQ(file.at("object"), "file");
  EXPECT_EQ(file.at("bytes"), 8);
  EXPECT_EQ(file.at("filename"), "in.jsonl");
  EXPECT_EQ(file.at("purpose"), "batch");
  const std::string id(file.at("id").as_string());
  ASSERT_TRUE(upload(port, "x", "user_data"));

  auto all = json_of(*request(port, "GET", "/v1/files"));
  EXPECT_EQ(all.at("data").as_array().size(), 2u);
  auto batch_files = json_of(*request(port, "GET", "/v1/files?purpose=batch"));
  ASSERT_EQ(batch_files.at("data").as_array().size(), 1u);
  EXPECT_EQ(batch_files.at("data").at(0).at("id"), json::value(id));
  EXPECT_EQ(json_of(*request(port, "GET", "/v1/files/" + id)).at("id"), json::value(id));
  EXPECT_EQ(content(port, json::value(id)), "{\"a\":1}\n");

  auto deleted = request(port, "DELETE", "/v1/files/" + id);
  ASSERT_TRUE(deleted);
  EXPECT_EQ(json_of(*deleted).at("deleted"), true);
  auto gone = request(port, "GET", "/v1/files/" + id);
  ASSERT_TRUE(gone);
  EXPECT_EQ(gone->status, 404);
  EXPECT_EQ(json_of(*gone).at("error").at("type"), "invalid_request_error");
  EXPECT_EQ(request(port, "DELETE", "/v1/files/" + id)->status, 404);
}

TEST(Files, BadUploadsGetOpenAiErrors) {
  ServerProcess server({"--file-size-limit", "1000"});
  auto port = server.port();
  auto too_big = upload(port, std::string(1001, 'x'));
  ASSERT_TRUE(too_big);
  EXPECT_EQ(too_big->status, 413);
  EXPECT_EQ(json_of(*too_big).at("error").at("code"), "file_too_large");
  EXPECT_EQ(upload(port, std::string(1000, 'x'))->status, 200);  // the limit itself is allowed
  // Far over the limit: refused from Content-Length, before the body is read.
  auto huge = request(port, "POST", "/v1/files", std::string(200'000, 'x'),
                      "Content-Type: multipart/form-data; boundary=b\r\n");
  ASSERT_TRUE(huge);
  EXPECT_EQ(huge->status, 413);
  auto bad_purpose = upload(port, "x", "nonsense");
  ASSERT_TRUE(bad_purpose);
  EXPECT_EQ(bad_purpose->status, 400);
  EXPECT_EQ(json_of(*bad_purpose).at("error").at("param"), "purpose");
  auto not_multipart = request(port, "POST", "/v1/files", "{}", "Content-Type: application/json\r\n");
  ASSERT_TRUE(not_multipart);
  EXPECT_EQ(not_multipart->status, 400);
  auto broken = request(port, "POST", "/v1/files", "--b\r\nno headers end",
                        "Content-Type: multipart/form-data; boundary=b\r\n");
  ASSERT_TRUE(broken);
  EXPECT_EQ(broken->status, 400);
}

TEST(Batches, EmbeddingsBatchCompletesWithOneResultPerLine) {
  ServerProcess server({});
  auto port = server.port();
  auto file_id = upload_id(port, embedding_lines(50));
  ASSERT_FALSE(file_id.empty());
  auto created = create_batch(port, file_id);
  ASSERT_TRUE(created.is_object());
  EXPECT_EQ(created.at("status"), "validating");
  EXPECT_EQ(created.at("object"), "batch");
  const std::string id(created.at("id").as_string());
  auto batch = wait_for_batch(port, id);
  ASSERT_EQ(batch.at("status"), "completed") << json::serialize(batch);
  EXPECT_EQ(batch.at("request_counts").at("total"), 50);
  EXPECT_EQ(batch.at("request_counts").at("completed"), 50);
  EXPECT_EQ(batch.at("request_counts").at("failed"), 0);
  EXPECT_TRUE(batch.at("error_file_id").is_null());
  for (auto* field : {"in_progress_at", "finalizing_at", "completed_at"}) EXPECT_TRUE(batch.at(field).is_int64()) << field;
  auto output = content(port, batch.at("output_file_id"));
  auto ids = custom_ids(output);
  EXPECT_EQ(ids.size(), 50u);
  // 16-dimension lines: the request body's own parameters are honoured, as online.
  std::istringstream lines(output);
  std::string first;
  std::getline(lines, first);
  auto line = json::parse(first);
  EXPECT_EQ(line.at("response").at("status_code"), 200);
  EXPECT_EQ(line.at("response").at("body").at("data").at(0).at("embedding").as_array().size(), 16u);
  auto output_file = json_of(*request(port, "GET", "/v1/files/" + std::string(batch.at("output_file_id").as_string())));
  EXPECT_EQ(output_file.at("purpose"), "batch_output");
}

TEST(Batches, MalformedInputFailsWithLineNumbersAndRunsNothing) {
  ServerProcess server({});
  auto port = server.port();
  std::string input = embedding_line("a", "fine") + "{this is not json\n" + embedding_line("a", "duplicate id") +
                      R"({"custom_id":"c","method":"POST","url":"/v1/chat/completions","body":{}})" "\n" +
                      embedding_line("d", "fine too");
  auto created = create_batch(port, upload_id(port, input));
  auto batch = wait_for_batch(port, std::string(created.at("id").as_string()));
  ASSERT_EQ(batch.at("status"), "failed") << json::serialize(batch);
  EXPECT_TRUE(batch.at("failed_at").is_int64());
  auto errors = batch.at("errors").at("data").as_array();
  ASSERT_EQ(errors.size(), 3u) << json::serialize(batch);
  EXPECT_EQ(errors[0].at("line"), 2);
  EXPECT_EQ(errors[0].at("code"), "invalid_json_line");
  EXPECT_EQ(errors[1].at("line"), 3);
  EXPECT_EQ(errors[1].at("code"), "duplicate_custom_id");
  EXPECT_EQ(errors[2].at("line"), 4);
  EXPECT_EQ(errors[2].at("code"), "mismatched_endpoint");
  EXPECT_EQ(batch.at("request_counts").at("completed"), 0);
  EXPECT_TRUE(batch.at("output_file_id").is_null());

  // Create-time checks: unknown file, wrong endpoint, wrong window.
  auto missing = request(port, "POST", "/v1/batches",
                         R"({"input_file_id":"file-nope","endpoint":"/v1/embeddings","completion_window":"24h"})");
  EXPECT_EQ(missing->status, 404);
  auto endpoint = request(port, "POST", "/v1/batches",
                          R"({"input_file_id":"file-nope","endpoint":"/v1/images","completion_window":"24h"})");
  EXPECT_EQ(endpoint->status, 400);
  EXPECT_EQ(json_of(*endpoint).at("error").at("param"), "endpoint");
}

TEST(Batches, AFailingLineGoesToTheErrorFileAndTheBatchGoesOn) {
  ServerProcess server({});
  auto port = server.port();
  std::string input = embedding_line("ok-1", "hello") + embedding_line("bad", "hello", "no-such-model") +
                      embedding_line("ok-2", "world");
  auto created = create_batch(port, upload_id(port, input));
  auto batch = wait_for_batch(port, std::string(created.at("id").as_string()));
  ASSERT_EQ(batch.at("status"), "completed") << json::serialize(batch);
  EXPECT_EQ(batch.at("request_counts").at("completed"), 2);
  EXPECT_EQ(batch.at("request_counts").at("failed"), 1);
  auto errors = content(port, batch.at("error_file_id"));
  auto line = json::parse(errors);
  EXPECT_EQ(line.at("custom_id"), "bad");
  EXPECT_EQ(line.at("response").at("status_code"), 404);
  EXPECT_EQ(line.at("response").at("body").at("error").at("code"), "model_not_found");
  EXPECT_EQ(custom_ids(content(port, batch.at("output_file_id"))), (std::map<std::string, int>{{"ok-1", 1}, {"ok-2", 1}}));
}

TEST(Batches, KillNineMidBatchThenRestartLeavesExactlyOneResultPerCustomId) {
  constexpr int kLines = 4000;
  std::string data_dir;
  std::string id;
  const std::vector<std::string> flags{"--job-lease-ms", "1000", "--batch-concurrency", "2", "--compute-threads", "1"};
  {
    ServerProcess first(flags);
    data_dir = first.data_dir();
    id = std::string(create_batch(first.port(), upload_id(first.port(), embedding_lines(kLines))).at("id").as_string());
    auto running = wait_for_batch(first.port(), id, 60s, [](const json::value& b) {
      return is_final(b) || (b.is_object() && b.at("request_counts").at("completed").to_number<int>() > 0);
    });
    ASSERT_EQ(running.at("status"), "in_progress") << "the batch must still be running when it is killed";
    first.signal(SIGKILL);
    first.wait_exit(10s);
  }
  auto with_dir = flags;
  with_dir.insert(with_dir.end(), {"--data-dir", data_dir});
  ServerProcess second(with_dir);
  auto batch = wait_for_batch(second.port(), id, 120s);
  ASSERT_EQ(batch.at("status"), "completed") << json::serialize(batch);
  EXPECT_TRUE(second.wait_for_log("resumes", 1s)) << "the second server resumed the batch, not a fresh run";
  auto ids = custom_ids(content(second.port(), batch.at("output_file_id")));
  EXPECT_EQ(ids.size(), static_cast<std::size_t>(kLines));
  for (const auto& [custom_id, count] : ids) ASSERT_EQ(count, 1) << custom_id;
  EXPECT_EQ(batch.at("request_counts").at("completed"), kLines);
}

TEST(Batches, DeletingTheInputFileOfARunningBatchLetsItFinish) {
  ServerProcess server({"--batch-concurrency", "2", "--compute-threads", "1"});
  auto port = server.port();
  constexpr int kLines = 3000;
  auto file_id = upload_id(port, embedding_lines(kLines));
  auto id = std::string(create_batch(port, file_id).at("id").as_string());
  auto running = wait_for_batch(port, id, 60s, [](const json::value& b) {
    return is_final(b) || (b.is_object() && b.at("status") == "in_progress");
  });
  ASSERT_EQ(running.at("status"), "in_progress");
  auto deleted = request(port, "DELETE", "/v1/files/" + file_id);
  ASSERT_EQ(deleted->status, 200);
  EXPECT_EQ(request(port, "GET", "/v1/files/" + file_id)->status, 404);
  auto batch = wait_for_batch(port, id, 120s);
  ASSERT_EQ(batch.at("status"), "completed") << json::serialize(batch);
  EXPECT_EQ(custom_ids(content(port, batch.at("output_file_id"))).size(), static_cast<std::size_t>(kLines));
}

TEST(Batches, CancelStopsARunningBatchAndKeepsItsResults) {
  ServerProcess server({"--batch-concurrency", "1", "--compute-threads", "1"});
  auto port = server.port();
  constexpr int kLines = 20000;
  auto id = std::string(create_batch(port, upload_id(port, embedding_lines(kLines))).at("id").as_string());
  wait_for_batch(port, id, 60s, [](const json::value& b) {
    return is_final(b) || (b.is_object() && b.at("request_counts").at("completed").to_number<int>() > 0);
  });
  auto cancelling = request(port, "POST", "/v1/batches/" + id + "/cancel");
  ASSERT_EQ(cancelling->status, 200) << cancelling->body;
  EXPECT_EQ(json_of(*cancelling).at("status"), "cancelling");
  auto batch = wait_for_batch(port, id);
  ASSERT_EQ(batch.at("status"), "cancelled");
  EXPECT_TRUE(batch.at("cancelled_at").is_int64());
  auto done = batch.at("request_counts").at("completed").to_number<int>();
  EXPECT_LT(done, kLines);
  EXPECT_EQ(custom_ids(content(port, batch.at("output_file_id"))).size(), static_cast<std::size_t>(done));
  EXPECT_EQ(request(port, "POST", "/v1/batches/" + id + "/cancel")->status, 200);  // still cancelled
}

TEST(Batches, ListPaginatesNewestFirst) {
  ServerProcess server({"--job-workers", "0"});  // nothing runs: listing only
  auto port = server.port();
  auto file_id = upload_id(port, embedding_lines(1));
  std::vector<std::string> ids;
  for (int i = 0; i < 3; ++i) ids.push_back(std::string(create_batch(port, file_id).at("id").as_string()));
  auto page = json_of(*request(port, "GET", "/v1/batches?limit=2"));
  ASSERT_EQ(page.at("data").as_array().size(), 2u);
  EXPECT_EQ(page.at("data").at(0).at("id"), json::value(ids[2]));
  EXPECT_EQ(page.at("has_more"), true);
  auto rest = json_of(*request(port, "GET", "/v1/batches?limit=2&after=" + std::string(page.at("last_id").as_string())));
  ASSERT_EQ(rest.at("data").as_array().size(), 1u);
  EXPECT_EQ(rest.at("data").at(0).at("id"), json::value(ids[0]));
  EXPECT_EQ(rest.at("has_more"), false);
  // A batch that never started is cancelled at once by the job, and by nothing while no worker runs.
  EXPECT_EQ(json_of(*request(port, "POST", "/v1/batches/" + ids[0] + "/cancel")).at("status"), "cancelling");
}

TEST(Batches, FilesAndBatchesBelongToTheirApiKey) {
  auto keys = std::filesystem::temp_directory_path() / ("sluice-batch-keys-" + std::to_string(::getpid()));
  std::ofstream(keys) << "key-alice\nkey-bob\n";
  ServerProcess server({"--api-keys-file", keys.string()});
  auto port = server.port();
  auto file_id = upload_id(port, embedding_lines(3), "key-alice");
  ASSERT_FALSE(file_id.empty());
  auto id = std::string(create_batch(port, file_id, "/v1/embeddings", "key-alice").at("id").as_string());
  EXPECT_EQ(request(port, "GET", "/v1/files/" + file_id, "", bearer("key-bob"))->status, 404);
  EXPECT_EQ(request(port, "GET", "/v1/files/" + file_id + "/content", "", bearer("key-bob"))->status, 404);
  EXPECT_EQ(request(port, "DELETE", "/v1/files/" + file_id, "", bearer("key-bob"))->status, 404);
  EXPECT_EQ(json_of(*request(port, "GET", "/v1/files", "", bearer("key-bob"))).at("data").as_array().size(), 0u);
  EXPECT_EQ(request(port, "GET", "/v1/batches/" + id, "", bearer("key-bob"))->status, 404);
  EXPECT_EQ(request(port, "POST", "/v1/batches/" + id + "/cancel", "", bearer("key-bob"))->status, 404);
  EXPECT_EQ(json_of(*request(port, "GET", "/v1/batches", "", bearer("key-bob"))).at("data").as_array().size(), 0u);
  auto stolen = request(port, "POST", "/v1/batches",
                        R"({"input_file_id":")" + file_id + R"(","endpoint":"/v1/embeddings","completion_window":"24h"})",
                        bearer("key-bob"));
  EXPECT_EQ(stolen->status, 404);
  EXPECT_EQ(json_of(*request(port, "GET", "/v1/batches", "", bearer("key-alice"))).at("data").as_array().size(), 1u);
  EXPECT_EQ(request(port, "GET", "/v1/files", "")->status, 401);
  std::filesystem::remove(keys);
}

TEST(Batches, RunByASluiceWorkerThroughRedis) {
  RedisServer redis;
  ServerProcess server({"--redis-url", redis.url(), "--job-workers", "0"});
  auto port = server.port();
  auto id = std::string(create_batch(port, upload_id(port, embedding_lines(20))).at("id").as_string());
  ServerProcess worker({"--redis-url", redis.url(), "--data-dir", server.data_dir(), "--job-workers", "1"},
                       ServerProcess::Mode::worker);
  auto batch = wait_for_batch(port, id);
  ASSERT_EQ(batch.at("status"), "completed") << json::serialize(batch);
  EXPECT_EQ(custom_ids(content(port, batch.at("output_file_id"))).size(), 20u);
}

}  // namespace
}  // namespace sluice::test
