#pragma once
// BackgroundTasks moved to the api layer (every App provides it); the old name stays valid.

#include "sluice/api/background_tasks.hpp"

namespace sluice::jobs {
using api::BackgroundTasks;
}  // namespace sluice::jobs
