#pragma once
// The job endpoints: POST /datasets/{dataset_id}/process and /jobs.

#include "sluice/api/app.hpp"

namespace sluice::app {

/// Needs a JobService singleton in the app's services.
void add_job_routes(App& app);

}  // namespace sluice::app
