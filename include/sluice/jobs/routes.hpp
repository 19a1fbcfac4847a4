#pragma once
// The job API as a route group a library user mounts in one call:
//
//   auto queue = std::make_shared<jobs::JobQueue>(jobs::open_sqlite_store("jobs.db"));
//   app.include(jobs::routes(queue));  // GET /jobs, GET /jobs/{job_id}, .../events, DELETE /jobs/{job_id}

#include "sluice/api/route_group.hpp"
#include "sluice/jobs/job_queue.hpp"

#include <functional>
#include <memory>
#include <optional>
#include <string>

namespace sluice::jobs {

/// Whose jobs a request may see: an owner (EnqueueOptions::owner), or none for every job (an
/// admin, or an app without per-caller data). Other owners' jobs answer 404 and are not listed.
using JobViewer = std::function<std::optional<std::string>(const http::Request&)>;

/// GET "" (list, newest first; ?state, ?type, ?limit, ?offset), GET /{job_id}, GET
/// /{job_id}/events (Server-Sent Events: `progress` on every change, then `done`) and DELETE
/// /{job_id} (queued: cancelled, 200; running: asked to stop, 202), over `queue`. Every store
/// call is awaited (JobQueue's awaitable calls): none blocks an IO thread. Without a viewer
/// every caller sees every job.
api::RouteGroup routes(std::shared_ptr<JobQueue> queue,
                       api::RouteGroupOptions options = {.prefix = "/jobs", .tags = {"jobs"}}, JobViewer viewer = {});

}  // namespace sluice::jobs
