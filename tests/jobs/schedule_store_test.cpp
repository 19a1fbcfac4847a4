// Schedules in every backend (SQLite, Redis), and the claim that makes a tick fire once however
// many schedulers share the store.
#include "sluice/jobs/schedule.hpp"
#include "sluice/jobs/scheduler.hpp"

#include "redis_server.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <filesystem>
#include <set>
#include <thread>

namespace sluice::jobs {
namespace {

test::RedisServer& shared_redis() {
  static test::RedisServer server;
  return server;
}

class ScheduleStoreTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    static std::atomic<int> counter{0};
    unique_ = std::to_string(::getpid()) + "-" + std::to_string(counter++);
    if (GetParam() == "sqlite") path_ = std::filesystem::temp_directory_path() / ("sluice-schedules-" + unique_ + ".db");
    store = open();
  }
  void TearDown() override {
    store.reset();
    if (!path_.empty())
      for (auto suffix : {"", "-wal", "-shm"}) std::filesystem::remove(path_.string() + suffix);
  }
  /// Another connection to the same store, as another node has.
  std::shared_ptr<JobStore> open() {
    if (GetParam() == "sqlite") return open_sqlite_store(path_.string());
    return open_redis_store(shared_redis().url(), "test:" + unique_ + ":");
  }
  ScheduleStore& schedules() { return *store->schedules(); }

  static Schedule every(std::string name, std::int64_t every_ms, std::int64_t created_at) {
    Schedule s;
    s.name = std::move(name);
    s.type = "report";
    s.payload = boost::json::object{{"n", 1}};
    s.every_ms = every_ms;
    s.created_at_ms = created_at;
    s.last_tick_ms = created_at;
    return s;
  }

  std::shared_ptr<JobStore> store;
  std::filesystem::path path_;
  std::string unique_;
};

TEST_P(ScheduleStoreTest, CreatesListsPausesAndRemoves) {
  auto daily = every("daily", 1000, 5000);
  daily.cron = "";
  daily.owner = "alice";
  ASSERT_TRUE(schedules().create(daily));
  EXPECT_FALSE(schedules().create(daily));  // the name is taken
  ASSERT_TRUE(schedules().create(every("another", 60'000, 5000)));
  auto read = schedules().get("daily");
  ASSERT_TRUE(read);
  EXPECT_EQ(read->type, "report");
  EXPECT_EQ(read->owner, "alice");
  EXPECT_EQ(read->every_ms, 1000);
  EXPECT_EQ(read->last_tick_ms, 5000);
  EXPECT_FALSE(read->is_paused);
  auto all = schedules().list();
  ASSERT_EQ(all.size(), 2u);
  EXPECT_EQ(all[0].name, "another");  // by name

  EXPECT_TRUE(schedules().set_paused("daily", true, 9000));
  EXPECT_TRUE(schedules().get("daily")->is_paused);
  EXPECT_EQ(schedules().get("daily")->last_tick_ms, 5000);
  EXPECT_TRUE(schedules().set_paused("daily", false, 9000));
  EXPECT_FALSE(schedules().get("daily")->is_paused);
  EXPECT_EQ(schedules().get("daily")->last_tick_ms, 9000);  // the paused ticks are not due
  EXPECT_FALSE(schedules().set_paused("missing", true, 9000));

  EXPECT_TRUE(schedules().remove("daily"));
  EXPECT_FALSE(schedules().remove("daily"));
  EXPECT_FALSE(schedules().get("daily"));
  EXPECT_EQ(schedules().list().size(), 1u);
}

TEST_P(ScheduleStoreTest, ATickIsClaimedOnceWithItsJob) {
  auto s = every("tick", 1000, 0);
  ASSERT_TRUE(schedules().create(s));
  auto id = schedules().fire("tick", 1000, s.job_for(1000));
  ASSERT_TRUE(id);
  auto job = store->get(*id);
  ASSERT_TRUE(job);
  EXPECT_EQ(job->type, "report");
  EXPECT_EQ(job->idempotency_key, "schedule:tick:1000");
  EXPECT_FALSE(schedules().fire("tick", 1000, s.job_for(1000)));  // already fired
  EXPECT_FALSE(schedules().fire("tick", 500, s.job_for(500)));    // older than the last tick
  auto read = schedules().get("tick");
  EXPECT_EQ(read->last_tick_ms, 1000);
  EXPECT_EQ(read->last_job_id, *id);
  EXPECT_GT(read->last_run_at_ms, 0);
  ASSERT_TRUE(schedules().set_paused("tick", true, 0));
  EXPECT_FALSE(schedules().fire("tick", 2000, s.job_for(2000)));  // paused
  EXPECT_FALSE(schedules().fire("gone", 2000, s.job_for(2000)));
  EXPECT_EQ(store->list({.limit = 100}).size(), 1u);
}

TEST_P(ScheduleStoreTest, TwoSchedulersOnOneStoreFireEachTickOnce) {
  constexpr int kTicks = 200;
  ASSERT_TRUE(schedules().create(every("busy", 1000, 0)));
  auto node_a = std::make_shared<JobQueue>(store);
  auto node_b = std::make_shared<JobQueue>(open());
  Scheduler a(node_a), b(node_b);
  // Both walk the same clock, tick by tick, racing for every tick.
  auto walk = [](Scheduler& scheduler) {
    for (int t = 1; t <= kTicks; ++t) scheduler.fire_due(std::int64_t{t} * 1000);
  };
  std::thread first(walk, std::ref(a));
  std::thread second(walk, std::ref(b));
  first.join();
  second.join();
  EXPECT_EQ(a.fired() + b.fired(), std::uint64_t{kTicks});
  auto jobs = store->list({.limit = 1000});
  ASSERT_EQ(jobs.size(), std::size_t{kTicks});
  std::set<std::string> keys;
  for (const auto& job : jobs) keys.insert(job.idempotency_key);
  EXPECT_EQ(keys.size(), std::size_t{kTicks});
  EXPECT_TRUE(keys.contains("schedule:busy:1000"));
  EXPECT_TRUE(keys.contains("schedule:busy:200000"));
}

INSTANTIATE_TEST_SUITE_P(Backends, ScheduleStoreTest, ::testing::Values("sqlite", "redis"),
                         [](const auto& info) { return info.param; });

TEST(DueTicks, SkipFiresTheLatestMissedTick) {
  Schedule s;
  s.every_ms = 1000;
  s.created_at_ms = 0;
  s.last_tick_ms = 0;
  EXPECT_TRUE(due_ticks(s, 999).empty());
  EXPECT_EQ(due_ticks(s, 1000), std::vector<std::int64_t>{1000});
  EXPECT_EQ(due_ticks(s, 5500), std::vector<std::int64_t>{5000});
  s.last_tick_ms = 5000;
  EXPECT_TRUE(due_ticks(s, 5999).empty());
}

TEST(DueTicks, CatchUpFiresEveryMissedTickUpToTheBound) {
  Schedule s;
  s.every_ms = 1000;
  s.misfire = Misfire::catch_up;
  EXPECT_EQ(due_ticks(s, 3000), (std::vector<std::int64_t>{1000, 2000, 3000}));
  auto many = due_ticks(s, 1'000'000);
  ASSERT_EQ(many.size(), std::size_t{kMaxCatchUp});
  EXPECT_EQ(many.front(), 901'000);
  EXPECT_EQ(many.back(), 1'000'000);
}

TEST(DueTicks, CronTicksInTheirZone) {
  Schedule s;
  s.cron = "0 * * * *";
  s.timezone = "Asia/Kolkata";  // UTC+05:30: local minute 0 is UTC minute 30
  s.misfire = Misfire::catch_up;
  s.last_tick_ms = 0;
  EXPECT_EQ(due_ticks(s, 3 * 3'600'000), (std::vector<std::int64_t>{1'800'000, 5'400'000, 9'000'000}));
  s.misfire = Misfire::skip;
  EXPECT_EQ(due_ticks(s, 3 * 3'600'000), std::vector<std::int64_t>{9'000'000});
}

}  // namespace
}  // namespace sluice::jobs
