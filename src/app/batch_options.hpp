#pragma once
// Settings of /v1/files and /v1/batches, for `sluice serve` and `sluice worker`.

#include <CLI/App.hpp>

#include <cstddef>
#include <cstdint>

namespace sluice::app {

struct BatchOptions {
  std::uint64_t file_size_limit = 200 * 1024 * 1024;  // per uploaded file; larger → 413
  std::size_t concurrency = 64;  // a full embedding batch per compute slot or so  // requests of one batch in flight at once
};

/// --file-size-limit, --batch-concurrency (SLUICE_FILE_SIZE_LIMIT, SLUICE_BATCH_CONCURRENCY).
void add_batch_flags(CLI::App& command, BatchOptions& options);

}  // namespace sluice::app
