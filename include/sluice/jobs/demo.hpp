#pragma once
// A CPU-bound demo job (type "demo"): work of a chosen size for trying the job system
// (progress, cancellation, timeouts, retries, restarts) without a dataset, and the route that
// starts one:
//
//   jobs::handle_demo_jobs(*queue);
//   app.include(jobs::demo_routes({.queue = queue}));  // POST /jobs/demo

#include "sluice/api/route_group.hpp"
#include "sluice/jobs/job_queue.hpp"

#include <boost/json/value.hpp>

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

namespace sluice::jobs {

/// Hashes `documents` synthetic texts into 64 feature buckets, in chunks, reporting progress
/// and stopping when cancelled. Throws std::invalid_argument for labels below 1 (a failing job
/// on purpose). Returns {"label", "documents", "buckets_used"}.
boost::json::value demo_work(std::int64_t label, std::int64_t documents, JobContext& job);

/// Runs "demo" jobs from `queue` (demo_work on their payload {"label", "documents"}).
void handle_demo_jobs(JobQueue& queue);

struct DemoRouteOptions {
  std::shared_ptr<JobQueue> queue;
  EnqueueOptions job_defaults;
  /// The owner of the job a request starts (its API key's); unset: nobody's.
  std::function<std::string(const http::Request&)> owner;
  api::RouteGroupOptions group = {.prefix = "/jobs", .tags = {"jobs"}};
};

/// POST /demo (under /jobs): enqueues a demo job (?label, ?documents; Idempotency-Key).
api::RouteGroup demo_routes(DemoRouteOptions options);

}  // namespace sluice::jobs
