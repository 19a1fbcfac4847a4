#pragma once
// The server's job system: the queue, its store and in-process workers. Handlers use the
// queue's awaitable calls (jobs->queue().find(id), ...), which never block an IO thread.

#include "serve_options.hpp"

#include "sluice/client/redis_client.hpp"
#include "sluice/core/compute_pool.hpp"
#include "sluice/jobs/job_queue.hpp"

#include <memory>

namespace sluice::server {

class JobService {
 public:
  /// Opens the store: Redis when `redis_url` is set (over `redis` when given, sharing its
  /// connections), else SQLite at <data_dir>/sluice.db. With `metrics`, job counts by state
  /// are reported there.
  explicit JobService(const JobOptions& options, std::shared_ptr<client::RedisClient> redis = nullptr,
                      std::shared_ptr<obs::Registry> metrics = nullptr);

  jobs::JobQueue& queue() { return *queue_; }
  const std::shared_ptr<jobs::JobQueue>& shared_queue() const { return queue_; }
  const jobs::EnqueueOptions& defaults() const { return defaults_; }

  /// Starts `options.workers` in-process workers (none when 0); with `compute`, their handlers
  /// run on that pool.
  void start_workers(core::ComputePool* compute = nullptr);
  void stop_workers();

 private:
  JobOptions options_;
  std::shared_ptr<jobs::JobQueue> queue_;
  jobs::EnqueueOptions defaults_;
  std::unique_ptr<jobs::Workers> workers_;
};

/// Registers the job types every process runs (demo) on `queue`; build_embeddings is
/// registered by the dataset services of `sluice serve`.
void register_job_handlers(jobs::JobQueue& queue);

}  // namespace sluice::server
