#pragma once
// The article's background job: build_embeddings(dataset_id).

#include "sluice/jobs/job_queue.hpp"

#include <boost/json/value.hpp>

#include <cstdint>

namespace sluice::app {

/// CPU work standing in for a dataset's embedding build until datasets are stored: hashes
/// `documents` synthetic texts of the dataset into 64 feature buckets, in chunks, reporting
/// progress and stopping when cancelled. Throws std::invalid_argument for ids below 1 (no such
/// dataset). Returns {"dataset_id", "documents", "buckets_used"}.
boost::json::value build_embeddings(std::int64_t dataset_id, std::int64_t documents, jobs::JobContext& job);

}  // namespace sluice::app
