#pragma once
// The loop every node runs to fire schedules (sluice/jobs/schedule.hpp). Nodes do not elect a
// leader: each one claims the ticks it sees due, and the store lets exactly one claim of a tick
// succeed, so any number of nodes fire each tick once, and a node that dies takes nothing with it.

#include "sluice/jobs/job_queue.hpp"
#include "sluice/jobs/schedule.hpp"

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>

#include <atomic>
#include <memory>
#include <thread>
#include <vector>

namespace sluice::jobs {

struct SchedulerOptions {
  /// How often the schedules are read and their due ticks fired: the most a tick fires late.
  Millis resolution{100};
};

/// The ticks of `schedule` due at `now_ms` (epoch ms), oldest first: those after its last tick,
/// up to now, that its misfire policy fires (skip: the latest; catch_up: at most kMaxCatchUp).
std::vector<std::int64_t> due_ticks(const Schedule& schedule, std::int64_t now_ms);

class Scheduler {
 public:
  /// Fires the schedules of `queue`'s store (which must have them: JobStore::schedules()).
  explicit Scheduler(std::shared_ptr<JobQueue> queue, SchedulerOptions options = {});
  ~Scheduler();

  /// Starts the loop on a thread of its own: a timer, whose store calls run on the queue's
  /// storage threads (JobQueue::on_storage) like every other awaited job call.
  void start();
  void stop();
  /// One pass, blocking: fires every tick due at `now_ms`; returns how many this node fired.
  std::size_t fire_due(std::int64_t now_ms) { return fire_due(*queue_, now_ms, *fired_); }
  /// Ticks this node has fired so far.
  std::uint64_t fired() const { return fired_->load(); }

 private:
  static std::size_t fire_due(JobQueue& queue, std::int64_t now_ms, std::atomic<std::uint64_t>& fired);

  std::shared_ptr<JobQueue> queue_;
  SchedulerOptions options_;
  // Shared with a pass on a storage thread, which may finish after this object is gone.
  std::shared_ptr<std::atomic<std::uint64_t>> fired_ = std::make_shared<std::atomic<std::uint64_t>>(0);
  boost::asio::io_context loop_{1};
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> work_{loop_.get_executor()};
  std::thread thread_;
};

}  // namespace sluice::jobs
