#include "sluice/api/background_tasks.hpp"

#include <spdlog/spdlog.h>

namespace sluice::api {

void BackgroundTasks::add(std::string name, std::function<void()> task) {
  tasks_.push_back({std::move(name), std::move(task)});
}

void BackgroundTasks::start() {
  for (auto& task : tasks_) {
    pool_.post([task = std::move(task)] {
      try {
        task.run();
      } catch (const std::exception& e) {
        spdlog::error("background task {} failed: {}", task.name, e.what());
      } catch (...) {
        spdlog::error("background task {} failed with a non-standard exception", task.name);
      }
    });
  }
  tasks_.clear();
}

void BackgroundTasks::install(di::Container& container, core::ComputePool& pool) {
  container.add_per_request<BackgroundTasks>([&pool](di::Scope& scope) {
    auto tasks = std::make_shared<BackgroundTasks>(pool);
    scope.on_exit([tasks] { tasks->start(); });
    return tasks;
  });
}

}  // namespace sluice::api
