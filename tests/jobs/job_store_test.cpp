// One conformance suite, every backend: SQLite (a temp file) and Redis (a real redis-server).
#include "sluice/jobs/job_store.hpp"

#include "redis_server.hpp"

#include <boost/json/parse.hpp>
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <atomic>
#include <filesystem>
#include <mutex>
#include <set>
#include <thread>

namespace sluice::jobs {
namespace {

using namespace std::chrono_literals;

test::RedisServer& shared_redis() {
  static test::RedisServer server;  // one per test binary; each test uses its own key prefix
  return server;
}

class JobStoreTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    static std::atomic<int> counter{0};
    auto unique = std::to_string(::getpid()) + "-" + std::to_string(counter++);
    if (GetParam() == "sqlite") {
      path_ = std::filesystem::temp_directory_path() / ("sluice-jobs-" + unique + ".db");
      store = open_sqlite_store(path_.string());
    } else {
      store = open_redis_store(shared_redis().url(), "test:" + unique + ":");
    }
  }
  void TearDown() override {
    store.reset();
    if (!path_.empty())
      for (auto suffix : {"", "-wal", "-shm"}) std::filesystem::remove(path_.string() + suffix);
  }

  Job enqueue(std::string type = "t", EnqueueOptions options = {}) {
    return store->enqueue(std::move(type), boost::json::parse(R"({"n":1})"), options);
  }

  std::shared_ptr<JobStore> store;
  std::filesystem::path path_;
};

TEST_P(JobStoreTest, EnqueueStoresEverything) {
  EnqueueOptions options;
  options.max_attempts = 5;
  options.priority = 3;
  options.timeout = 1234ms;
  auto job = enqueue("build_embeddings", options);
  EXPECT_EQ(job.id.size(), 32u);
  auto read = store->get(job.id);
  ASSERT_TRUE(read);
  EXPECT_EQ(read->type, "build_embeddings");
  EXPECT_EQ(read->state, JobState::queued);
  EXPECT_EQ(read->payload, boost::json::parse(R"({"n":1})"));
  EXPECT_EQ(read->max_attempts, 5);
  EXPECT_EQ(read->priority, 3);
  EXPECT_EQ(read->timeout_ms, 1234);
  EXPECT_EQ(read->attempts, 0);
  EXPECT_GT(read->created_at_ms, 0);
  EXPECT_FALSE(store->get("no-such-job"));
}

TEST_P(JobStoreTest, IdempotencyKeyReturnsTheFirstJob) {
  EnqueueOptions options;
  options.idempotency_key = "dataset-7";
  auto first = enqueue("t", options);
  auto second = enqueue("t", options);
  EXPECT_EQ(first.id, second.id);
  EXPECT_EQ(store->list({}).size(), 1u);
}

TEST_P(JobStoreTest, ClaimsHighestPriorityThenOldest) {
  auto low = enqueue();
  EnqueueOptions urgent;
  urgent.priority = 10;
  auto high = enqueue("t", urgent);
  auto low2 = enqueue();
  std::vector<std::string> order;
  while (auto claim = store->claim("w", 30s)) order.push_back(claim->job.id);
  EXPECT_EQ(order, (std::vector<std::string>{high.id, low.id, low2.id}));
}

TEST_P(JobStoreTest, DelayedJobWaitsForItsTime) {
  EnqueueOptions later;
  later.delay = 300ms;
  auto job = enqueue("t", later);
  EXPECT_FALSE(store->claim("w", 30s));
  std::this_thread::sleep_for(350ms);
  auto claim = store->claim("w", 30s);
  ASSERT_TRUE(claim);
  EXPECT_EQ(claim->job.id, job.id);
}

TEST_P(JobStoreTest, ClaimCompleteAndProgressNeedTheLease) {
  auto job = enqueue();
  auto claim = store->claim("worker-a", 30s);
  ASSERT_TRUE(claim);
  EXPECT_EQ(claim->job.state, JobState::running);
  EXPECT_EQ(claim->job.attempts, 1);
  EXPECT_TRUE(store->report_progress(*claim, 0.5, "half"));
  auto running = store->get(job.id);
  EXPECT_EQ(running->state, JobState::running);
  EXPECT_DOUBLE_EQ(running->progress, 0.5);
  EXPECT_EQ(running->progress_message, "half");
  EXPECT_EQ(running->worker, "worker-a");

  Claim forged = *claim;
  forged.token = "not-the-token";
  EXPECT_FALSE(store->complete(forged, 1));
  EXPECT_TRUE(store->complete(*claim, boost::json::parse(R"({"ok":true})")));
  auto done = store->get(job.id);
  EXPECT_EQ(done->state, JobState::succeeded);
  EXPECT_EQ(done->result, boost::json::parse(R"({"ok":true})"));
  EXPECT_DOUBLE_EQ(done->progress, 1.0);
  EXPECT_GT(done->finished_at_ms, 0);
  EXPECT_FALSE(store->complete(*claim, 2)) << "a finished job cannot finish twice";
}

TEST_P(JobStoreTest, FailureRetriesThenDeadLetters) {
  EnqueueOptions options;
  options.max_attempts = 2;
  auto job = enqueue("t", options);
  auto first = store->claim("w", 30s);
  ASSERT_TRUE(first);
  EXPECT_TRUE(store->fail(*first, "boom 1", 0ms));
  EXPECT_EQ(store->get(job.id)->state, JobState::retrying);
  EXPECT_EQ(store->get(job.id)->last_error, "boom 1");
  auto second = store->claim("w", 30s);
  ASSERT_TRUE(second);
  EXPECT_EQ(second->job.attempts, 2);
  EXPECT_TRUE(store->fail(*second, "boom 2", 0ms));
  auto dead = store->get(job.id);
  EXPECT_EQ(dead->state, JobState::failed);
  EXPECT_EQ(dead->last_error, "boom 2");
  EXPECT_FALSE(store->claim("w", 30s));
  EXPECT_EQ(store->list({.state = JobState::failed}).size(), 1u);
}

TEST_P(JobStoreTest, RetryWaitsForItsBackoff) {
  auto job = enqueue();
  auto claim = store->claim("w", 30s);
  ASSERT_TRUE(store->fail(*claim, "later", 300ms));
  EXPECT_FALSE(store->claim("w", 30s));
  std::this_thread::sleep_for(350ms);
  auto again = store->claim("w", 30s);
  ASSERT_TRUE(again);
  EXPECT_EQ(again->job.id, job.id);
}

TEST_P(JobStoreTest, ExpiredLeaseHandsTheJobOnAndLocksTheOldHolderOut) {
  auto job = enqueue();
  auto lost = store->claim("dead-worker", 100ms);
  ASSERT_TRUE(lost);
  EXPECT_FALSE(store->claim("other", 30s)) << "leased jobs are not claimable";
  std::this_thread::sleep_for(200ms);
  auto taken = store->claim("other", 30s);
  ASSERT_TRUE(taken);
  EXPECT_EQ(taken->job.id, job.id);
  EXPECT_EQ(taken->job.attempts, 2);
  bool cancel = false;
  EXPECT_FALSE(store->heartbeat(*lost, 30s, cancel));
  EXPECT_FALSE(store->complete(*lost, 1));
  EXPECT_TRUE(store->complete(*taken, 2));
  EXPECT_EQ(store->get(job.id)->result, 2);
}

TEST_P(JobStoreTest, HeartbeatKeepsTheLease) {
  auto job = enqueue();
  auto claim = store->claim("w", 150ms);
  for (int i = 0; i < 4; ++i) {
    std::this_thread::sleep_for(75ms);
    bool cancel = true;
    ASSERT_TRUE(store->heartbeat(*claim, 150ms, cancel));
    EXPECT_FALSE(cancel);
  }
  EXPECT_FALSE(store->claim("other", 30s));
  EXPECT_EQ(store->get(job.id)->attempts, 1);
}

TEST_P(JobStoreTest, ExhaustedAttemptsWithALostWorkerDeadLetter) {
  EnqueueOptions once;
  once.max_attempts = 1;
  auto job = enqueue("t", once);
  ASSERT_TRUE(store->claim("dead-worker", 50ms));
  std::this_thread::sleep_for(100ms);
  EXPECT_FALSE(store->claim("other", 30s));
  auto dead = store->get(job.id);
  EXPECT_EQ(dead->state, JobState::failed);
  EXPECT_NE(dead->last_error.find("lease expired"), std::string::npos);
}

TEST_P(JobStoreTest, CancelQueuedAtOnceAndRunningOnRequest) {
  auto queued = enqueue();
  EXPECT_EQ(store->cancel(queued.id), CancelOutcome::cancelled);
  EXPECT_EQ(store->get(queued.id)->state, JobState::cancelled);
  EXPECT_FALSE(store->claim("w", 30s));

  auto running = enqueue();
  auto claim = store->claim("w", 30s);
  ASSERT_TRUE(claim);
  EXPECT_EQ(store->cancel(running.id), CancelOutcome::requested);
  bool cancel = false;
  EXPECT_TRUE(store->heartbeat(*claim, 30s, cancel));
  EXPECT_TRUE(cancel);
  EXPECT_TRUE(store->mark_cancelled(*claim));
  EXPECT_EQ(store->get(running.id)->state, JobState::cancelled);
  EXPECT_EQ(store->cancel(running.id), CancelOutcome::already_finished);
  EXPECT_EQ(store->cancel("missing"), CancelOutcome::not_found);
}

TEST_P(JobStoreTest, ListFiltersAndPaginatesNewestFirst) {
  std::vector<std::string> ids;
  for (int i = 0; i < 5; ++i) ids.push_back(enqueue(i % 2 ? "odd" : "even").id);
  auto claim = store->claim("w", 30s);  // the oldest "even" job
  store->complete(*claim, nullptr);
  auto all = store->list({});
  ASSERT_EQ(all.size(), 5u);
  EXPECT_EQ(all.front().id, ids.back());
  EXPECT_EQ(store->list({.type = "odd"}).size(), 2u);
  EXPECT_EQ(store->list({.state = JobState::succeeded}).size(), 1u);
  auto page = store->list({.limit = 2, .offset = 2});
  ASSERT_EQ(page.size(), 2u);
  EXPECT_EQ(page[0].id, ids[2]);
  auto counts = store->counts();
  std::map<JobState, std::size_t> by_state(counts.begin(), counts.end());
  EXPECT_EQ(by_state[JobState::queued], 4u);
  EXPECT_EQ(by_state[JobState::succeeded], 1u);
  EXPECT_TRUE(store->is_healthy());
}

TEST_P(JobStoreTest, ListsByOwnerAndKeepsTheOwner) {
  auto alice = enqueue("t", {.owner = "key:alice"});
  auto shared = enqueue("t");
  auto bob = enqueue("t", {.owner = "key:bob"});
  ASSERT_TRUE(store->get(alice.id));
  EXPECT_EQ(store->get(alice.id)->owner, "key:alice");
  EXPECT_EQ(store->get(shared.id)->owner, "");
  auto ids = [&](JobFilter filter) {
    std::vector<std::string> out;
    for (const auto& job : store->list(filter)) out.push_back(job.id);
    return out;
  };
  EXPECT_EQ(ids({.owner = "key:alice"}), std::vector<std::string>{alice.id});
  EXPECT_EQ(ids({.owner = "key:bob"}), std::vector<std::string>{bob.id});
  EXPECT_EQ(ids({.owner = ""}), std::vector<std::string>{shared.id});
  EXPECT_EQ(ids({}).size(), 3u);
  auto claim = store->claim("w", 30s);  // a claimed job keeps its owner
  ASSERT_TRUE(claim);
  EXPECT_EQ(claim->job.owner, "key:alice");
}

TEST_P(JobStoreTest, AWorkerClaimsOnlyTheTypesItRuns) {
  auto index = enqueue("build_embeddings", {.priority = 5});
  auto batch = enqueue("batch");
  auto demo = enqueue("demo");
  auto claim = store->claim("w", 30s, {"batch", "demo"});  // not the higher-priority index job
  ASSERT_TRUE(claim);
  EXPECT_EQ(claim->job.id, batch.id);
  auto more = store->claim_batch("w", 30s, 10, {"batch", "demo"}, {});
  ASSERT_EQ(more.size(), 1u);
  EXPECT_EQ(more[0].job.id, demo.id);
  EXPECT_FALSE(store->claim("w", 30s, {"batch", "demo"}));
  EXPECT_EQ(store->get(index.id)->state, JobState::queued);
  auto any = store->claim("server", 30s);  // no types: any
  ASSERT_TRUE(any);
  EXPECT_EQ(any->job.id, index.id);
}

TEST_P(JobStoreTest, AClaimTakesOnlyTheQueuesItNames) {
  auto image = enqueue("t", {.queue = "images"});
  auto plain = enqueue("t");
  EXPECT_EQ(store->get(image.id)->queue, "images");
  EXPECT_EQ(store->get(plain.id)->queue, "default");
  EXPECT_FALSE(store->claim("w", 30s, {}, {"video"}));
  auto taken = store->claim("w", 30s, {"t"}, {"images", "video"});
  ASSERT_TRUE(taken);
  EXPECT_EQ(taken->job.id, image.id);
  EXPECT_EQ(taken->job.queue, "images");
  auto any = store->claim("w", 30s);  // no queues: every queue
  ASSERT_TRUE(any);
  EXPECT_EQ(any->job.id, plain.id);
}

TEST_P(JobStoreTest, AClaimRecordsItsWorkerAndLeaseLength) {
  auto job = enqueue();
  ASSERT_TRUE(store->claim("resizer-7", 4321ms));
  auto read = store->get(job.id);
  EXPECT_EQ(read->worker, "resizer-7");
  EXPECT_EQ(read->lease_ms, 4321);
  EXPECT_EQ(read->to_json().at("worker"), "resizer-7");
}

TEST_P(JobStoreTest, AnAttemptPastItsTimeoutIsFencedOffAndRetriedAfterBackoff) {
  EnqueueOptions options;
  options.timeout = 150ms;
  options.backoff = 200ms;
  auto job = enqueue("t", options);
  auto claim = store->claim("w", 30s);  // a lease far longer than the attempt may run
  ASSERT_TRUE(claim);
  bool cancel = false;
  EXPECT_TRUE(store->heartbeat(*claim, 30s, cancel));
  std::this_thread::sleep_for(200ms);
  EXPECT_FALSE(store->heartbeat(*claim, 30s, cancel)) << "past the timeout the lease is gone";
  EXPECT_FALSE(store->complete(*claim, 1));
  EXPECT_FALSE(store->claim("other", 30s)) << "the timed-out attempt's backoff (100-300 ms) first";
  auto timed_out = store->get(job.id);
  EXPECT_EQ(timed_out->state, JobState::retrying);
  EXPECT_EQ(timed_out->last_error, "timed out after 150 ms");
  EXPECT_GE(timed_out->run_at_ms - timed_out->updated_at_ms, 99);
  std::this_thread::sleep_for(350ms);
  auto again = store->claim("other", 30s);
  ASSERT_TRUE(again);
  EXPECT_EQ(again->job.attempts, 2);
  EXPECT_TRUE(store->complete(*again, 2));
}

TEST_P(JobStoreTest, ConcurrentClaimersNeverShareAJob) {
  for (int i = 0; i < 200; ++i) enqueue();
  std::mutex mutex;
  std::multiset<std::string> claimed;
  std::vector<std::thread> workers;
  for (int w = 0; w < 4; ++w)
    workers.emplace_back([&, w] {
      auto own = store;  // the store is thread-safe
      while (auto claim = own->claim("w" + std::to_string(w), 30s)) {
        own->complete(*claim, nullptr);
        std::lock_guard lock(mutex);
        claimed.insert(claim->job.id);
      }
    });
  for (auto& t : workers) t.join();
  EXPECT_EQ(claimed.size(), 200u);
  EXPECT_EQ(std::set<std::string>(claimed.begin(), claimed.end()).size(), 200u);
}

TEST(SqliteJobStore, AFileFromBeforeOwnersGainsTheColumn) {
  auto path = std::filesystem::temp_directory_path() / ("sluice-jobs-old-" + std::to_string(::getpid()) + ".db");
  std::string old_id;
  {
    auto store = open_sqlite_store(path.string());
    old_id = store->enqueue("t", nullptr, {}).id;
  }
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(db, "ALTER TABLE jobs DROP COLUMN owner", nullptr, nullptr, nullptr), SQLITE_OK);
  sqlite3_close(db);
  {
    auto store = open_sqlite_store(path.string());
    EXPECT_EQ(store->get(old_id)->owner, "");
    auto mine = store->enqueue("t", nullptr, {.owner = "key:alice"});
    EXPECT_EQ(store->list({.owner = "key:alice"}).front().id, mine.id);
  }
  for (auto suffix : {"", "-wal", "-shm"}) std::filesystem::remove(path.string() + suffix);
}

INSTANTIATE_TEST_SUITE_P(Backends, JobStoreTest, ::testing::Values("sqlite", "redis"),
                         [](const auto& info) { return info.param; });

}  // namespace
}  // namespace sluice::jobs
