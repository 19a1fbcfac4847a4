#pragma once
// The job endpoints: POST /jobs/demo and the library's /jobs group.

#include "access.hpp"

#include "sluice/api/app.hpp"
#include "sluice/jobs/job_queue.hpp"

#include <memory>

namespace sluice::app {

/// Needs a JobService singleton in the app's services (its queue is `queue`).
/// With keys on, a caller sees the jobs of what it owns (`access`).
void add_job_routes(App& app, std::shared_ptr<jobs::JobQueue> queue, std::shared_ptr<const Access> access);

}  // namespace sluice::app
