#pragma once
// The flags of /v1/files and /v1/batches, for `sluice serve` and `sluice worker`; the API
// itself is ai::openai::batch_routes (sluice/ai/batches.hpp).

#include "sluice/ai/batches.hpp"

#include <CLI/App.hpp>

namespace sluice::server {

/// --file-size-limit, --batch-concurrency (SLUICE_FILE_SIZE_LIMIT, SLUICE_BATCH_CONCURRENCY).
/// The rest of `options` (data directory, limits, job defaults) comes from the other flags.
void add_batch_flags(CLI::App& command, ai::openai::BatchOptions& options);

}  // namespace sluice::server
