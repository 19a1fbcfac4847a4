#pragma once
// FastAPI's BackgroundTasks: work a handler schedules to run after its response is sent.
// Every App provides it per request: `Depends<BackgroundTasks> tasks` in a handler, then
// `tasks->add(build_embeddings, dataset_id)`.

#include "sluice/core/compute_pool.hpp"
#include "sluice/di/container.hpp"

#include <concepts>
#include <functional>
#include <string>
#include <tuple>
#include <vector>

namespace sluice::api {

/// Per-request list of tasks. They start on the compute pool once the response has been
/// written; a task that throws is logged with its name and never affects the server.
/// Not durable: for work that must survive a restart, use the job queue.
class BackgroundTasks {
 public:
  explicit BackgroundTasks(core::ComputePool& pool) : pool_(pool) {}

  /// FastAPI's add_task(func, *args): calls `task(args...)` later, with copies of the arguments.
  template <class F, class... Args>
  requires std::invocable<F&, Args&...>
  void add(F task, Args... args) {
    add("background task", [task = std::move(task), arguments = std::make_tuple(std::move(args)...)]() mutable {
      std::apply(task, arguments);
    });
  }
  /// A named task: the name appears in the log when it fails.
  void add(std::string name, std::function<void()> task);
  std::size_t size() const { return tasks_.size(); }
  /// Hands every queued task to the compute pool (called after the response is sent).
  void start();

  /// Registers BackgroundTasks as a per-request dependency started when the request's scope
  /// ends, i.e. after the response. App does this itself; other containers call it.
  static void install(di::Container& container, core::ComputePool& pool);

 private:
  struct Task {
    std::string name;
    std::function<void()> run;
  };
  core::ComputePool& pool_;
  std::vector<Task> tasks_;
};

}  // namespace sluice::api
