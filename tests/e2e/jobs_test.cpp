// Durable jobs end to end: the real binary, its SQLite file or a real Redis, and the faults
// the job system promises to survive.
#include "job_polling.hpp"
#include "raw_http.hpp"
#include "redis_server.hpp"
#include "server_process.hpp"

#include <boost/json/parse.hpp>
#include <gtest/gtest.h>

#include <csignal>
#include <set>
#include <thread>

namespace sluice::test {
namespace {

using namespace std::chrono_literals;
namespace json = boost::json;

constexpr long kForever = 1'000'000'000;  // documents: runs until cancelled or timed out

TEST(Jobs, IdempotencyKeyReturnsTheSameJob) {
  ServerProcess server({});
  auto first = start_demo_job(server.port(), 3, 1000, "Idempotency-Key: import-3\r\n");
  auto second = start_demo_job(server.port(), 3, 1000, "Idempotency-Key: import-3\r\n");
  auto other = start_demo_job(server.port(), 3, 1000, "Idempotency-Key: import-4\r\n");
  ASSERT_FALSE(first.empty());
  EXPECT_EQ(first, second);
  EXPECT_NE(first, other);
}

TEST(Jobs, ListFiltersPaginatesAndRejectsBadInput) {
  ServerProcess server({});
  std::vector<std::string> ids;
  for (int i = 1; i <= 3; ++i) ids.push_back(start_demo_job(server.port(), i, 10));
  for (const auto& id : ids) EXPECT_EQ(wait_for_job(server.port(), id).at("state"), "succeeded");
  auto page = request(server.port(), "GET", "/jobs?state=succeeded&type=demo&limit=2&offset=1");
  ASSERT_TRUE(page);
  ASSERT_EQ(page->status, 200);
  auto jobs = json_of(*page).at("jobs").as_array();
  ASSERT_EQ(jobs.size(), 2u);
  EXPECT_EQ(jobs[0].at("id"), json::value(ids[1]));  // newest first, one skipped
  EXPECT_EQ(jobs[1].at("id"), json::value(ids[0]));
  auto bad_state = request(server.port(), "GET", "/jobs?state=sleeping");
  ASSERT_TRUE(bad_state);
  EXPECT_EQ(bad_state->status, 422);
  auto bad_limit = request(server.port(), "GET", "/jobs?limit=0");
  ASSERT_TRUE(bad_limit);
  EXPECT_EQ(bad_limit->status, 422);
  auto missing = request(server.port(), "GET", "/jobs/does-not-exist");
  ASSERT_TRUE(missing);
  EXPECT_EQ(missing->status, 404);
  EXPECT_EQ(json_of(*missing).at("code"), "not_found");
  auto missing_events = request(server.port(), "GET", "/jobs/does-not-exist/events");
  ASSERT_TRUE(missing_events);
  EXPECT_EQ(missing_events->status, 404);
}

TEST(Jobs, EventsStreamProgressThenTheFinalState) {
  ServerProcess server({});
  auto id = start_demo_job(server.port(), 5, 3'000'000);
  RawConnection c(server.port());
  ASSERT_TRUE(c.send("GET /jobs/" + id + "/events HTTP/1.1\r\nHost: x\r\n\r\n"));
  std::string stream;
  auto deadline = std::chrono::steady_clock::now() + 20s;
  while (stream.find("event: done") == std::string::npos && std::chrono::steady_clock::now() < deadline)
    stream += c.read_some(1s);
  EXPECT_NE(stream.find("Content-Type: text/event-stream"), std::string::npos);
  EXPECT_NE(stream.find("event: progress"), std::string::npos) << stream.substr(0, 500);
  auto done = stream.find("event: done\ndata: ");
  ASSERT_NE(done, std::string::npos);
  auto data = stream.substr(done + 18, stream.find('\n', done + 18) - done - 18);
  EXPECT_EQ(json::parse(data).at("state"), "succeeded");
  EXPECT_LT(stream.find("event: progress"), done);
}

TEST(Jobs, CancelStopsARunningJobAndQueuedOnesAtOnce) {
  ServerProcess server({"--job-workers", "1"});
  auto running = start_demo_job(server.port(), 1, kForever);
  auto queued = start_demo_job(server.port(), 2, 10);  // behind the running one: one worker
  wait_for_job(server.port(), running, 10s, [](const json::value& job) { return job.at("progress").as_double() > 0; });
  auto cancel_queued = request(server.port(), "DELETE", "/jobs/" + queued);
  ASSERT_TRUE(cancel_queued);
  EXPECT_EQ(cancel_queued->status, 200);
  EXPECT_EQ(json_of(*cancel_queued).at("state"), "cancelled");
  auto cancel_running = request(server.port(), "DELETE", "/jobs/" + running);
  ASSERT_TRUE(cancel_running);
  EXPECT_EQ(cancel_running->status, 202);
  EXPECT_EQ(wait_for_job(server.port(), running).at("state"), "cancelled");
  auto again = request(server.port(), "DELETE", "/jobs/" + running);
  ASSERT_TRUE(again);
  EXPECT_EQ(again->status, 409);
  EXPECT_EQ(wait_for_job(server.port(), queued).at("attempts"), 0) << "a cancelled queued job never runs";
}

TEST(Jobs, AttemptPastItsTimeoutFailsAndIsRetried) {
  ServerProcess server({"--job-timeout-ms", "150", "--job-max-attempts", "2", "--job-backoff-ms", "10",
                        "--job-lease-ms", "300"});
  auto job = wait_for_job(server.port(), start_demo_job(server.port(), 1, kForever));
  EXPECT_EQ(job.at("state"), "failed");
  EXPECT_EQ(job.at("attempts"), 2);
  EXPECT_EQ(job.at("last_error"), "timed out after 150 ms");
}

TEST(Jobs, KillDashNineMidJobThenRestartCompletesIt) {
  std::string id, data_dir;
  {
    ServerProcess first({"--job-lease-ms", "500"});
    data_dir = first.data_dir();
    id = start_demo_job(first.port(), 9, 4'000'000);
    auto running = wait_for_job(first.port(), id, 10s, [](const json::value& job) {
      return job.at("progress").as_double() > 0.05;
    });
    ASSERT_EQ(running.at("state"), "running");
    first.signal(SIGKILL);
    first.wait_exit(5s);
  }
  ServerProcess second({"--data-dir", data_dir, "--job-lease-ms", "500"});
  auto job = wait_for_job(second.port(), id, 30s);
  EXPECT_EQ(job.at("state"), "succeeded");
  EXPECT_EQ(job.at("attempts"), 2) << "the killed attempt, then the one that finished";
  EXPECT_EQ(job.at("result").at("documents"), 4'000'000);
}

TEST(Jobs, StandaloneWorkerRunsJobsEnqueuedByTheServer) {
  RedisServer redis;
  ServerProcess server({"--redis-url", redis.url(), "--job-workers", "0"});
  ServerProcess worker({"--redis-url", redis.url(), "--job-workers", "1"}, ServerProcess::Mode::worker);
  auto job = wait_for_job(server.port(), start_demo_job(server.port(), 4, 1000));
  EXPECT_EQ(job.at("state"), "succeeded");
  EXPECT_EQ(job.at("result").at("label"), 4);
  worker.signal(SIGTERM);
  EXPECT_EQ(worker.wait_exit(5s), 0);
}

TEST(Jobs, AWorkerLeavesTheJobTypesItCannotRunToOthers) {
  RedisServer redis;
  // The server runs no jobs here; the worker runs demo jobs and batches, not dataset indexing.
  ServerProcess server({"--redis-url", redis.url(), "--job-workers", "0"});
  ServerProcess worker({"--redis-url", redis.url(), "--job-workers", "1"}, ServerProcess::Mode::worker);
  auto created = request(server.port(), "POST", "/datasets", R"({"name":"d"})", "Content-Type: application/json\r\n");
  ASSERT_TRUE(created);
  auto dataset = std::to_string(json::parse(created->body).at("id").as_int64());
  auto started = request(server.port(), "POST", "/datasets/" + dataset + "/process", "", "");
  ASSERT_TRUE(started);
  ASSERT_EQ(started->status, 202) << started->body;
  auto index_job = std::string(json::parse(started->body).at("job_id").as_string());
  // Enqueued after the index job, run by the worker: it was polling all along.
  auto demo = wait_for_job(server.port(), start_demo_job(server.port(), 1, 10));
  EXPECT_EQ(demo.at("state"), "succeeded");
  auto job = request(server.port(), "GET", "/jobs/" + index_job, "", "");
  ASSERT_TRUE(job);
  auto state = json::parse(job->body);
  EXPECT_EQ(state.at("state"), "queued") << job->body;
  EXPECT_EQ(state.at("attempts"), 0) << "not claimed (and failed) by a worker without its handler";
}

TEST(Jobs, RedisRestartLosesAndDuplicatesNothing) {
  RedisServer redis;
  // A lease far longer than the restart: a job may only run twice if its worker really went silent
  // (on a loaded CI machine a 5 s lease was occasionally outlived by the restart plus catch-up).
  ServerProcess server({"--redis-url", redis.url(), "--job-workers", "2", "--job-lease-ms", "20000"});
  std::vector<std::string> ids;
  for (int i = 1; i <= 20; ++i) ids.push_back(start_demo_job(server.port(), i, 2'000'000));
  std::this_thread::sleep_for(300ms);  // some done, some running, some queued
  redis.restart();
  std::set<std::string> unique(ids.begin(), ids.end());
  EXPECT_EQ(unique.size(), 20u);
  for (const auto& id : ids) {
    auto job = wait_for_job(server.port(), id, 60s);
    ASSERT_TRUE(job.is_object()) << id;
    EXPECT_EQ(job.at("state"), "succeeded") << id;
    EXPECT_EQ(job.at("attempts"), 1) << "job " << id << " ran more than once";
  }
  auto all = request(server.port(), "GET", "/jobs?limit=500");
  ASSERT_TRUE(all);
  EXPECT_EQ(json_of(*all).at("jobs").as_array().size(), 20u);
}

}  // namespace
}  // namespace sluice::test
