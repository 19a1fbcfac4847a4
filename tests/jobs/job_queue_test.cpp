// Workers running real handlers against the SQLite store.
#include "sluice/jobs/job_queue.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <filesystem>
#include <thread>

namespace sluice::jobs {
namespace {

using namespace std::chrono_literals;

class JobQueueTest : public ::testing::Test {
 protected:
  JobQueueTest() {
    static std::atomic<int> counter{0};
    path = std::filesystem::temp_directory_path() /
           ("sluice-queue-" + std::to_string(::getpid()) + "-" + std::to_string(counter++) + ".db");
    queue = std::make_unique<JobQueue>(open_sqlite_store(path.string()));
  }
  ~JobQueueTest() override {
    workers.reset();
    queue.reset();
    for (auto suffix : {"", "-wal", "-shm"}) std::filesystem::remove(path.string() + suffix);
  }
  void start(WorkerOptions options = {}) {
    options.lease = options.lease == Millis{30'000} ? 300ms : options.lease;
    workers = std::make_unique<Workers>(*queue, options);
    workers->start();
  }
  Job wait_until_finished(const std::string& id, std::chrono::milliseconds limit = 5s) {
    auto deadline = std::chrono::steady_clock::now() + limit;
    while (std::chrono::steady_clock::now() < deadline) {
      auto job = queue->store().get(id);
      if (job && is_terminal(job->state)) return *job;
      std::this_thread::sleep_for(10ms);
    }
    return *queue->store().get(id);
  }

  std::filesystem::path path;
  std::unique_ptr<JobQueue> queue;
  std::unique_ptr<Workers> workers;
};

TEST_F(JobQueueTest, RunsHandlersAndRecordsResultsAndProgress) {
  std::atomic<double> seen_progress{0};
  queue->handle("square", [&](JobContext& job) -> boost::json::value {
    auto n = job.payload().at("n").as_int64();
    job.progress(0.5, "halfway");
    seen_progress = queue->store().get(job.job().id)->progress;
    return n * n;
  });
  start();
  auto job = queue->enqueue("square", {{"n", 12}});
  auto done = wait_until_finished(job.id);
  EXPECT_EQ(done.state, JobState::succeeded);
  EXPECT_EQ(done.result, 144);
  EXPECT_EQ(done.attempts, 1);
  EXPECT_DOUBLE_EQ(seen_progress.load(), 0.5);
}

TEST_F(JobQueueTest, ThrowingHandlerIsRetriedWithBackoffThenDeadLettered) {
  std::atomic<int> calls{0};
  std::vector<std::chrono::steady_clock::time_point> times(3);
  queue->handle("flaky", [&](JobContext&) -> boost::json::value {
    times[static_cast<std::size_t>(calls++)] = std::chrono::steady_clock::now();
    throw std::runtime_error("upstream exploded");
  });
  start();
  EnqueueOptions options;
  options.max_attempts = 3;
  options.backoff = 100ms;
  auto job = queue->enqueue("flaky", nullptr, options);
  auto done = wait_until_finished(job.id);
  EXPECT_EQ(done.state, JobState::failed);
  EXPECT_EQ(done.attempts, 3);
  EXPECT_EQ(done.last_error, "upstream exploded");
  EXPECT_EQ(calls.load(), 3);
  // Backoff doubles (±50% jitter): ≥ 50 ms before the 2nd attempt, ≥ 100 ms before the 3rd.
  EXPECT_GE(times[1] - times[0], 50ms);
  EXPECT_GE(times[2] - times[1], 100ms);
}

TEST_F(JobQueueTest, AttemptPastItsTimeoutFailsAndIsRetried) {
  std::atomic<int> calls{0};
  queue->handle("slow", [&](JobContext& job) -> boost::json::value {
    if (calls++ == 0)  // the first attempt hangs until told to stop
      while (!job.is_cancelled()) std::this_thread::sleep_for(5ms);
    return "second attempt";
  });
  start({.lease = 150ms});
  EnqueueOptions options;
  options.timeout = 200ms;
  options.backoff = 10ms;
  auto job = queue->enqueue("slow", nullptr, options);
  auto done = wait_until_finished(job.id);
  EXPECT_EQ(done.state, JobState::succeeded);
  EXPECT_EQ(done.attempts, 2);
  EXPECT_EQ(done.last_error, "timed out after 200 ms");
  EXPECT_EQ(done.result, "second attempt");
}

TEST_F(JobQueueTest, CancellationReachesTheRunningHandler) {
  std::atomic<bool> started{false};
  queue->handle("long", [&](JobContext& job) -> boost::json::value {
    started = true;
    for (;;) {
      job.throw_if_cancelled();
      std::this_thread::sleep_for(5ms);
    }
  });
  start({.lease = 90ms});
  auto job = queue->enqueue("long", nullptr);
  while (!started) std::this_thread::sleep_for(5ms);
  EXPECT_EQ(queue->store().cancel(job.id), CancelOutcome::requested);
  auto done = wait_until_finished(job.id);
  EXPECT_EQ(done.state, JobState::cancelled);
  EXPECT_EQ(done.attempts, 1);
}

TEST_F(JobQueueTest, UnknownJobTypeFailsWithAClearError) {
  start();
  EnqueueOptions once;
  once.max_attempts = 1;
  auto job = queue->enqueue("nobody-handles-this", nullptr, once);
  auto done = wait_until_finished(job.id);
  EXPECT_EQ(done.state, JobState::failed);
  EXPECT_EQ(done.last_error, "no handler registered for job type 'nobody-handles-this'");
}

TEST_F(JobQueueTest, ManyJobsEachRunExactlyOnce) {
  std::atomic<int> calls{0};
  queue->handle("count", [&](JobContext&) -> boost::json::value { return ++calls; });
  start({.concurrency = 4});
  std::vector<std::string> ids;
  for (int i = 0; i < 300; ++i) ids.push_back(queue->enqueue("count", i).id);
  for (const auto& id : ids) EXPECT_EQ(wait_until_finished(id).state, JobState::succeeded);
  EXPECT_EQ(calls.load(), 300);
}

}  // namespace
}  // namespace sluice::jobs
