#pragma once
// Schedules over HTTP, as a group a library user mounts beside the job routes:
//
//   app.include(jobs::schedule_routes({.queue = queue}));  // POST/GET /schedules, /{name}, pause, resume, DELETE
//   jobs::Scheduler scheduler(queue);  scheduler.start();   // on every node; each tick fires once

#include "sluice/api/route_group.hpp"
#include "sluice/jobs/job_queue.hpp"
#include "sluice/jobs/routes.hpp"

#include <functional>
#include <memory>
#include <string>

namespace sluice::jobs {

struct ScheduleRouteOptions {
  std::shared_ptr<JobQueue> queue;  // its store keeps the schedules (JobStore::schedules())
  EnqueueOptions job_defaults;      // attempts, backoff, timeout of the jobs of a schedule that does not say
  /// The owner of a schedule a request creates, and of its jobs (its API key's); unset: nobody's.
  std::function<std::string(const http::Request&)> owner;
  /// Whose schedules a request may see and change, as for jobs (JobViewer); unset: every one.
  JobViewer viewer;
  api::RouteGroupOptions group = {.prefix = "/schedules", .tags = {"schedules"}};
};

/// POST "" (create: 201; 409 when the name is taken), GET "" (by name, each with next_run_at and
/// last_run_at), GET /{name}, POST /{name}/pause and /{name}/resume, DELETE /{name}. Types this
/// process's queue runs itself are refused, as by POST /jobs.
api::RouteGroup schedule_routes(ScheduleRouteOptions options);

}  // namespace sluice::jobs
