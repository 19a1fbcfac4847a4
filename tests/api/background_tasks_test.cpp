#include "sluice/api/background_tasks.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <future>

namespace sluice::api {
namespace {

TEST(BackgroundTasks, NothingRunsBeforeStartAndAFailureDoesNotStopTheRest) {
  core::ComputePool pool(1);
  std::atomic<int> ran{0};
  BackgroundTasks tasks(pool);
  tasks.add("first", [&] { ++ran; });
  tasks.add("broken", [] { throw std::runtime_error("boom"); });
  tasks.add("third", [&] { ++ran; });
  EXPECT_EQ(tasks.size(), 3u);
  EXPECT_EQ(ran.load(), 0);
  tasks.start();
  pool.join();
  EXPECT_EQ(ran.load(), 2);
  EXPECT_EQ(tasks.size(), 0u);
}

void record(std::promise<int>* into, int dataset_id) { into->set_value(dataset_id); }

TEST(BackgroundTasks, AddTakesAFunctionAndItsArgumentsLikeAddTask) {
  core::ComputePool pool(1);
  BackgroundTasks tasks(pool);
  std::promise<int> got;
  int id = 42;
  tasks.add(record, &got, id);
  id = 7;  // the task has its own copy of the arguments
  tasks.start();
  EXPECT_EQ(got.get_future().get(), 42);
}

TEST(BackgroundTasks, InstalledTasksStartWhenTheRequestScopeEnds) {
  core::ComputePool pool(1);
  di::Container container;
  BackgroundTasks::install(container, pool);
  std::promise<void> ran;
  auto done = ran.get_future();
  {
    di::Scope scope(container);
    auto tasks = scope.get<BackgroundTasks>();
    EXPECT_EQ(tasks, scope.get<BackgroundTasks>());
    tasks->add("signal", [&] { ran.set_value(); });
    EXPECT_EQ(done.wait_for(std::chrono::milliseconds(50)), std::future_status::timeout);
  }
  EXPECT_EQ(done.wait_for(std::chrono::seconds(5)), std::future_status::ready);
}

}  // namespace
}  // namespace sluice::api
