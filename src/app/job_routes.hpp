#pragma once
// The job endpoints: POST /jobs/demo and the library's /jobs group.

#include "sluice/api/app.hpp"
#include "sluice/jobs/job_queue.hpp"

#include <memory>

namespace sluice::app {

/// Needs a JobService singleton in the app's services (its queue is `queue`).
void add_job_routes(App& app, std::shared_ptr<jobs::JobQueue> queue);

}  // namespace sluice::app
