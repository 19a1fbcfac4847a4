// Datasets end to end on the real binary: upload in every format, process as a durable job,
// search, answer with citations; updates and deletions; bad input; kill -9 mid-processing;
// a dataset deleted under its job; ownership by API key (datasets and their jobs).
#include "job_polling.hpp"
#include "raw_http.hpp"
#include "server_process.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <gtest/gtest.h>

#include <csignal>
#include <cstdlib>

namespace sluice::test {
namespace {

using namespace std::chrono_literals;
namespace json = boost::json;

const std::string kJson = "Content-Type: application/json\r\n";

std::string bearer(const std::string& key) { return "Authorization: Bearer " + key + "\r\n"; }

json::value call(std::uint16_t port, const std::string& method, const std::string& target, unsigned status,
                 const std::string& body = "", const std::string& headers = kJson) {
  auto r = request(port, method, target, body, headers, 30s);
  EXPECT_TRUE(r) << method << " " << target;
  if (!r) return nullptr;
  EXPECT_EQ(r->status, status) << method << " " << target << ": " << r->body;
  return r->body.empty() ? json::value(nullptr) : json::parse(r->body);
}

std::int64_t create(std::uint16_t port, const std::string& headers = kJson) {
  return call(port, "POST", "/datasets", 201, R"({"name":"test"})", headers).at("id").as_int64();
}

std::string base(std::int64_t id) { return "/datasets/" + std::to_string(id); }

json::value process(std::uint16_t port, std::int64_t id, std::chrono::milliseconds limit = 60s) {
  auto started = call(port, "POST", base(id) + "/process", 202);
  EXPECT_EQ(started.at("status"), "processing started");
  return wait_for_job(port, std::string(started.at("job_id").as_string()), limit);
}

std::vector<std::string> search(std::uint16_t port, std::int64_t id, const std::string& query,
                                const std::string& mode = "hybrid", const std::string& extra = "") {
  auto body = json::serialize(json::object{{"query", query}, {"mode", mode}, {"k", 5}});
  if (!extra.empty()) body = body.substr(0, body.size() - 1) + "," + extra + "}";
  auto answer = call(port, "POST", base(id) + "/search", 200, body);
  std::vector<std::string> ids;
  if (answer.is_object())
    for (const auto& hit : answer.at("results").as_array()) ids.emplace_back(hit.at("document_id").as_string());
  return ids;
}

TEST(Datasets, UploadEveryFormatProcessSearchAndAnswer) {
  ServerProcess server({});
  auto id = create(server.port());
  auto added = call(server.port(), "POST", base(id) + "/documents", 201,
                    R"({"documents":[{"id":"rust","title":"Rust","text":"Iron rusts when oxygen and water meet it.",)"
                    R"("metadata":{"topic":"chemistry"}}]})");
  EXPECT_EQ(added.at("added"), 1);
  call(server.port(), "POST", base(id) + "/documents", 201,
       "{\"_id\":\"tea\",\"title\":\"Tea\",\"text\":\"Green tea is brewed below boiling point.\"}\n"
       "{\"_id\":\"cats\",\"title\":\"Cats\",\"text\":\"Cats sleep for most of the day.\"}\n",
       "Content-Type: application/x-ndjson\r\n");
  call(server.port(), "POST", base(id) + "/documents?id=page", 201,
       "<html><head><title>Bridges</title></head><body><p>Suspension bridges hang from cables.</p>"
       "<script>var rust = 1;</script></body></html>",
       "Content-Type: text/html\r\n");
  auto info = call(server.port(), "GET", base(id), 200);
  EXPECT_EQ(info.at("documents"), 4);
  EXPECT_EQ(info.at("pending_documents"), 4);
  auto job = process(server.port(), id);
  ASSERT_EQ(job.at("state"), "succeeded") << job;
  info = call(server.port(), "GET", base(id), 200);
  EXPECT_EQ(info.at("chunks"), 4);
  EXPECT_EQ(info.at("indexed_chunks"), 4);
  EXPECT_EQ(info.at("last_job").at("state"), "succeeded");

  for (auto mode : {"keyword", "vector", "hybrid"})
    EXPECT_EQ(search(server.port(), id, "why does iron rust", mode).at(0), "rust") << mode;
  EXPECT_EQ(search(server.port(), id, "cables", "keyword").at(0), "page");
  EXPECT_TRUE(search(server.port(), id, "var", "keyword").empty()) << "scripts are not text";
  EXPECT_EQ(search(server.port(), id, "water", "hybrid", R"("filter":{"topic":"chemistry"})"),
            std::vector<std::string>{"rust"});
  EXPECT_EQ(search(server.port(), id, "water", "hybrid", R"("filter":{"topic":{"$in":["chemistry","none"]}})"),
            std::vector<std::string>{"rust"});
  // A malformed condition is a 422 that names where it is.
  auto bad = call(server.port(), "POST", base(id) + "/search", 422,
                  R"({"query":"water","filter":{"topic":{"$regex":"chem"}}})");
  EXPECT_EQ(bad.at("detail").at(0).at("loc"), (json::array{"body", "filter", "topic", "$regex"}));
  auto page = call(server.port(), "GET", base(id) + "/documents/page", 200);
  EXPECT_EQ(page.at("title"), "Bridges");
  EXPECT_EQ(page.at("text"), "Suspension bridges hang from cables.");

  auto answer = call(server.port(), "POST", base(id) + "/answer", 200, R"({"question":"How is green tea brewed?"})");
  EXPECT_NE(std::string(answer.at("answer").as_string()).find("brewed below boiling"), std::string::npos) << answer;
  EXPECT_EQ(answer.at("citations").as_array().at(0).at("document_id"), "tea");

  RawConnection c(server.port());
  std::string question = R"({"question":"How is green tea brewed?","stream":true})";
  ASSERT_TRUE(c.send("POST " + base(id) + "/answer HTTP/1.1\r\nHost: x\r\n" + kJson +
                     "Content-Length: " + std::to_string(question.size()) + "\r\n\r\n" + question));
  std::string stream;
  auto deadline = std::chrono::steady_clock::now() + 20s;
  while (stream.find("event: done") == std::string::npos && std::chrono::steady_clock::now() < deadline)
    stream += c.read_some(1s);
  EXPECT_NE(stream.find("Content-Type: text/event-stream"), std::string::npos) << stream;
  auto citations = stream.find("event: citations");
  auto piece = stream.find("event: piece");
  auto done = stream.find("event: done");
  ASSERT_NE(citations, std::string::npos) << stream;
  EXPECT_NE(stream.find("\"document_id\":\"tea\""), std::string::npos);
  EXPECT_LT(citations, piece);
  EXPECT_LT(piece, done);
}

TEST(Datasets, UpdatesAndDeletionsReachSearchResults) {
  ServerProcess server({});
  auto id = create(server.port());
  call(server.port(), "POST", base(id) + "/documents", 201,
       R"({"documents":[{"id":"a","text":"Volcanoes erupt molten lava."},{"id":"b","text":"Glaciers carve valleys."}]})");
  process(server.port(), id);
  EXPECT_EQ(search(server.port(), id, "lava", "keyword"), std::vector<std::string>{"a"});
  auto again = call(server.port(), "POST", base(id) + "/documents", 200,
                    R"({"documents":[{"id":"a","text":"Volcanoes erupt molten lava."}]})");
  EXPECT_EQ(again.at("unchanged"), 1);
  auto changed = call(server.port(), "POST", base(id) + "/documents", 200,
                      R"({"documents":[{"id":"a","text":"Geysers spout hot water."}]})");
  EXPECT_EQ(changed.at("updated"), 1);
  process(server.port(), id);
  EXPECT_TRUE(search(server.port(), id, "lava", "keyword").empty());
  EXPECT_EQ(search(server.port(), id, "geysers spout", "hybrid").at(0), "a");
  call(server.port(), "DELETE", base(id) + "/documents/a", 200);
  call(server.port(), "GET", base(id) + "/documents/a", 404);
  for (auto mode : {"keyword", "vector", "hybrid"})
    for (const auto& doc : search(server.port(), id, "geysers spout", mode)) EXPECT_NE(doc, "a") << mode;
  auto listed = call(server.port(), "GET", base(id) + "/documents", 200);
  EXPECT_EQ(listed.at("documents").as_array().size(), 1u);
}

TEST(Datasets, BadInputIsRefusedAndNothingIsStored) {
  ServerProcess server({});
  auto id = create(server.port());
  auto bad = call(server.port(), "POST", base(id) + "/documents", 422,
                  "{\"_id\":\"1\",\"text\":\"fine\"}\n{\"_id\":\"2\",\"text\":\"fine\"}\n{\"_id\":\"3\",\"text\":oops}\n",
                  "Content-Type: application/x-ndjson\r\n");
  EXPECT_EQ(bad.at("detail").as_array().at(0).at("loc"), json::parse(R"(["body","line",3])"));
  EXPECT_EQ(call(server.port(), "GET", base(id), 200).at("documents"), 0) << "nothing of the upload stored";
  call(server.port(), "GET", "/datasets/999", 404);
  call(server.port(), "POST", "/datasets/999/process", 404);
  call(server.port(), "POST", "/datasets/999/search", 404, R"({"query":"x"})");
  call(server.port(), "POST", "/datasets/999/documents", 404, R"({"documents":[]})");
  call(server.port(), "POST", base(id) + "/search", 422, R"({"query":"x","k":0})");
  call(server.port(), "POST", base(id) + "/search", 422, R"({"query":"x","mode":"psychic"})");
  call(server.port(), "POST", "/datasets", 422, R"({"name":""})");
}

TEST(Datasets, KillDashNineMidProcessingThenRestartEndsInTheCleanState) {
  // Enough documents that the job is still embedding when it is killed.
  std::string corpus;
  constexpr int kDocuments = 6000;  // ~4 s of embedding here: polls see it running even on a loaded machine
  for (int i = 0; i < kDocuments; ++i) {
    std::string text;
    for (int w = 0; w < 60; ++w) text += "term" + std::to_string((i * 31 + w * 7) % 997) + " ";
    corpus += json::serialize(json::object{{"_id", "d" + std::to_string(i)}, {"title", ""}, {"text", text}}) + "\n";
  }
  const std::string ndjson = "Content-Type: application/x-ndjson\r\n";
  std::string data_dir, job_id;
  std::int64_t id = 0;
  {
    ServerProcess first({"--job-lease-ms", "500"});
    data_dir = first.data_dir();
    id = create(first.port());
    call(first.port(), "POST", base(id) + "/documents", 201, corpus, ndjson);
    auto started = call(first.port(), "POST", base(id) + "/process", 202);
    job_id = std::string(started.at("job_id").as_string());
    auto running = wait_for_job(first.port(), job_id, 60s, [](const json::value& job) {
      return job.at("state") == "succeeded" || job.at("state") == "failed" || job.at("progress").as_double() > 0.05;
    });
    ASSERT_EQ(running.at("state"), "running") << "the job ended before it could be killed";
    auto again = call(first.port(), "POST", base(id) + "/process", 202);
    EXPECT_EQ(std::string(again.at("job_id").as_string()), job_id) << "a second call joins the running job";
    first.signal(SIGKILL);
    first.wait_exit(5s);
  }
  ServerProcess second({"--data-dir", data_dir, "--job-lease-ms", "500"});
  auto job = wait_for_job(second.port(), job_id, 90s);
  ASSERT_EQ(job.at("state"), "succeeded") << job;
  EXPECT_EQ(job.at("attempts"), 2);
  auto info = call(second.port(), "GET", base(id), 200);
  // A clean run of the same corpus, for comparison.
  auto clean = create(second.port());
  call(second.port(), "POST", base(clean) + "/documents", 201, corpus, ndjson);
  ASSERT_EQ(process(second.port(), clean, 90s).at("state"), "succeeded");
  auto clean_info = call(second.port(), "GET", base(clean), 200);
  EXPECT_EQ(info.at("chunks"), clean_info.at("chunks"));
  EXPECT_EQ(info.at("indexed_chunks"), clean_info.at("chunks"));
  EXPECT_EQ(info.at("pending_documents"), 0);
  for (auto query : {"term5 term12", "term400 term401 term402"})
    for (auto mode : {"keyword", "vector"})
      EXPECT_EQ(search(second.port(), id, query, mode), search(second.port(), clean, query, mode)) << query << mode;
}

TEST(Datasets, DeletedWhileItsJobRunsEndsTheJobAndLeavesNothing) {
  std::string corpus;
  for (int i = 0; i < 4000; ++i)
    corpus += "{\"_id\":\"" + std::to_string(i) + "\",\"text\":\"words " + std::to_string(i) + " more words\"}\n";
  ServerProcess server({});
  auto id = create(server.port());
  call(server.port(), "POST", base(id) + "/documents", 201, corpus, "Content-Type: application/x-ndjson\r\n");
  auto started = call(server.port(), "POST", base(id) + "/process", 202);
  call(server.port(), "DELETE", base(id), 200);
  auto job = wait_for_job(server.port(), std::string(started.at("job_id").as_string()), 60s);
  EXPECT_EQ(job.at("state"), "succeeded") << job;
  if (job.at("result").as_object().contains("dataset_deleted")) {
    EXPECT_EQ(job.at("result").at("dataset_deleted"), true);
  }
  call(server.port(), "GET", base(id), 404);
  EXPECT_EQ(call(server.port(), "GET", "/health", 200).at("status"), "ok");
}

TEST(Datasets, EachApiKeySeesOnlyItsOwnDatasetsAndAdminsSeeAll) {
  ::setenv("SLUICE_API_KEYS", "alice-key,bob-key,root-key", 1);
  ServerProcess server({"--dataset-admin-keys", "root-key"});
  ::unsetenv("SLUICE_API_KEYS");
  auto alice = kJson + bearer("alice-key"), bob = kJson + bearer("bob-key"), root = kJson + bearer("root-key");
  auto id = create(server.port(), alice);
  call(server.port(), "GET", base(id), 200, "", alice);
  call(server.port(), "GET", base(id), 404, "", bob);
  call(server.port(), "POST", base(id) + "/search", 404, R"({"query":"x"})", bob);
  EXPECT_TRUE(call(server.port(), "GET", "/datasets", 200, "", bob).at("datasets").as_array().empty());
  EXPECT_EQ(call(server.port(), "GET", "/datasets", 200, "", alice).at("datasets").as_array().size(), 1u);
  EXPECT_EQ(call(server.port(), "GET", "/datasets", 200, "", root).at("datasets").as_array().size(), 1u);
  call(server.port(), "GET", base(id), 401, "", kJson);

  // The dataset's job is its owner's too: listed, found, followed and cancelled by alice (and
  // root), invisible to bob.
  auto job = std::string(call(server.port(), "POST", base(id) + "/process", 202, "", alice).at("job_id").as_string());
  auto listed = [&](const std::string& headers) {
    std::vector<std::string> ids;
    auto list = call(server.port(), "GET", "/jobs", 200, "", headers);  // kept: the loop reads into it
    for (const auto& item : list.at("jobs").as_array())
      ids.emplace_back(item.at("id").as_string());
    return ids;
  };
  EXPECT_EQ(listed(alice), std::vector<std::string>{job});
  EXPECT_EQ(listed(root), std::vector<std::string>{job});
  EXPECT_TRUE(listed(bob).empty());
  call(server.port(), "GET", "/jobs/" + job, 200, "", alice);
  call(server.port(), "GET", "/jobs/" + job, 200, "", root);
  call(server.port(), "GET", "/jobs/" + job, 404, "", bob);
  call(server.port(), "GET", "/jobs/" + job + "/events", 404, "", bob);
  call(server.port(), "DELETE", "/jobs/" + job, 404, "", bob);
  // bob's own job (a demo job) is his alone.
  auto demo = call(server.port(), "POST", "/jobs/demo?documents=1", 202, "", bob);
  EXPECT_EQ(listed(bob), std::vector<std::string>{std::string(demo.at("job_id").as_string())});
  EXPECT_EQ(listed(alice), std::vector<std::string>{job});
  EXPECT_EQ(listed(root).size(), 2u);
}

}  // namespace
}  // namespace sluice::test
