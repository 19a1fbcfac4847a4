#pragma once
// Jobs from any language: enqueue any job type over HTTP, and work jobs from any process over
// HTTP on the same leases in-process workers hold (a stale lease token: 409). A library user
// mounts it in one call beside jobs::routes:
//
//   app.include(jobs::work_routes({.queue = queue}));  // POST /jobs, /jobs/claim, /jobs/{id}/heartbeat|complete|fail
//
// clients/python/sluice_worker.py is a reference worker (Python's standard library only).

#include "sluice/api/route_group.hpp"
#include "sluice/jobs/job_queue.hpp"

#include <functional>
#include <memory>
#include <string>

namespace sluice::jobs {

struct WorkRouteOptions {
  std::shared_ptr<JobQueue> queue;
  EnqueueOptions job_defaults;  // attempts, backoff, timeout of a job that does not say
  /// The owner of a job a request enqueues (its API key's); unset: nobody's.
  std::function<std::string(const http::Request&)> owner;
  /// Whether a request may claim and finish jobs (with API keys: an admin key); unset: any.
  std::function<bool(const http::Request&)> may_work;
  api::RouteGroupOptions group = {.prefix = "/jobs", .tags = {"jobs"}};
};

/// POST "" (enqueue: 201 with the job), POST /claim (long-poll up to wait_ms for up to max due
/// jobs of `types`, each leased for lease_ms), POST /{job_id}/heartbeat (extends the lease,
/// records progress, answers whether cancellation was asked), /complete and /fail (fenced by the
/// lease token). Types this process's queue runs itself (build_embeddings, openai_batch, demo)
/// are the server's: they cannot be enqueued or claimed here.
api::RouteGroup work_routes(WorkRouteOptions options);

}  // namespace sluice::jobs
