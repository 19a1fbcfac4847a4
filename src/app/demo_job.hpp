#pragma once
// A CPU-bound demo job (type "demo"): work of a chosen size for trying the job system
// (progress, cancellation, timeouts, retries, restarts) without a dataset.

#include "sluice/jobs/job_queue.hpp"

#include <boost/json/value.hpp>

#include <cstdint>

namespace sluice::app {

/// Hashes `documents` synthetic texts into 64 feature buckets, in chunks, reporting progress
/// and stopping when cancelled. Throws std::invalid_argument for labels below 1 (a failing job
/// on purpose). Returns {"label", "documents", "buckets_used"}.
boost::json::value demo_work(std::int64_t label, std::int64_t documents, jobs::JobContext& job);

}  // namespace sluice::app
