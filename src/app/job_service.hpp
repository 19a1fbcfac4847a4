#pragma once
// The server's job system: the queue, its store, in-process workers, and a small pool that
// runs store calls (disk or Redis round trips) off the IO threads.

#include "serve_options.hpp"

#include "sluice/core/compute_pool.hpp"
#include "sluice/jobs/job_queue.hpp"

#include <memory>

namespace sluice::app {

class JobService {
 public:
  /// Opens the store: Redis when `redis_url` is set, else SQLite at <data_dir>/sluice.db.
  explicit JobService(const JobOptions& options);

  jobs::JobQueue& queue() { return *queue_; }
  const jobs::EnqueueOptions& defaults() const { return defaults_; }
  /// Runs a store call on the storage pool: `co_await jobs->call([&] { return ...; })`.
  template <class F>
  auto call(F fn) {
    return storage_.run(std::move(fn));
  }

  /// Starts `options.workers` in-process workers (none when 0); with `compute`, their handlers
  /// run on that pool.
  void start_workers(core::ComputePool* compute = nullptr);
  void stop_workers();

 private:
  JobOptions options_;
  std::unique_ptr<jobs::JobQueue> queue_;
  jobs::EnqueueOptions defaults_;
  core::ComputePool storage_{2};
  std::unique_ptr<jobs::Workers> workers_;
};

/// Registers the job types every process runs (demo) on `queue`; build_embeddings is
/// registered by the dataset services of `sluice serve`.
void register_job_handlers(jobs::JobQueue& queue);

}  // namespace sluice::app
