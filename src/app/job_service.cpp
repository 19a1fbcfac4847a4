#include "job_service.hpp"

#include "sluice/jobs/demo.hpp"

#include <spdlog/spdlog.h>

#include <filesystem>
#include <future>

namespace sluice::server {

namespace {
std::shared_ptr<jobs::JobStore> open_store(const JobOptions& options, std::shared_ptr<client::RedisClient> redis) {
  if (redis) return jobs::open_redis_store(std::move(redis));
  if (!options.redis_url.empty()) return jobs::open_redis_store(options.redis_url);
  std::filesystem::create_directories(options.data_dir);
  return jobs::open_sqlite_store((std::filesystem::path(options.data_dir) / "sluice.db").string());
}
}  // namespace

JobService::JobService(const JobOptions& options, std::shared_ptr<client::RedisClient> redis,
                       std::shared_ptr<obs::Registry> metrics)
    : options_(options),
      queue_(std::make_shared<jobs::JobQueue>(open_store(options, std::move(redis)), std::move(metrics))) {
  defaults_.max_attempts = options.max_attempts;
  defaults_.backoff = options.backoff;
  defaults_.timeout = options.timeout;
  register_job_handlers(*queue_);
}

void JobService::start_workers(core::ComputePool* compute) {
  if (options_.workers == 0) return;
  jobs::WorkerOptions worker_options{.concurrency = options_.workers, .lease = options_.lease};
  if (compute)
    worker_options.run_handler = [compute](const std::function<void()>& handler) {
      std::promise<void> done;
      compute->post([&] {
        handler();  // never throws: the worker wraps the job's handler
        done.set_value();
      });
      done.get_future().wait();
    };
  workers_ = std::make_unique<jobs::Workers>(*queue_, std::move(worker_options));
  workers_->start();
  spdlog::info("{} job worker(s) running on {}", options_.workers,
               options_.redis_url.empty() ? "SQLite" : options_.redis_url);
}

void JobService::stop_workers() {
  if (workers_) workers_->stop();
}

void register_job_handlers(jobs::JobQueue& queue) { jobs::handle_demo_jobs(queue); }

}  // namespace sluice::server
