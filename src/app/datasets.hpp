#pragma once
// The article's background job: build_embeddings(dataset_id).

#include <atomic>
#include <cstdint>

namespace sluice::app {

/// Counts what build_embeddings has done, for logs and tests.
struct DatasetStats {
  std::atomic<std::uint64_t> built{0};
  std::atomic<std::uint64_t> failed{0};
};

/// CPU work standing in for a dataset's embedding build: hashes a deterministic synthetic
/// corpus for `dataset_id`. Throws std::invalid_argument for ids below 1 (no such dataset),
/// which exercises the failure path of background tasks. Runs on the compute pool.
void build_embeddings(std::int64_t dataset_id, DatasetStats& stats);

}  // namespace sluice::app
