#pragma once
// FastAPI's BackgroundTasks: work a handler schedules to run after its response is sent.

#include "sluice/core/compute_pool.hpp"
#include "sluice/di/container.hpp"

#include <functional>
#include <string>
#include <vector>

namespace sluice::jobs {

/// Per-request list of tasks. They start on the compute pool once the response has been
/// written; a task that throws is logged with its name and never affects the server.
/// Not durable: for work that must survive a restart, use the job queue.
class BackgroundTasks {
 public:
  explicit BackgroundTasks(core::ComputePool& pool) : pool_(pool) {}

  void add(std::string name, std::function<void()> task);
  std::size_t size() const { return tasks_.size(); }
  /// Hands every queued task to the compute pool (called after the response is sent).
  void start();

  /// Registers BackgroundTasks as a per-request dependency started when the request's scope
  /// ends, i.e. after the response: `req.depends<jobs::BackgroundTasks>()->add(...)`.
  static void install(di::Container& container, core::ComputePool& pool);

 private:
  struct Task {
    std::string name;
    std::function<void()> run;
  };
  core::ComputePool& pool_;
  std::vector<Task> tasks_;
};

}  // namespace sluice::jobs
