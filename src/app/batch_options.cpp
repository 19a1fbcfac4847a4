#include "batch_options.hpp"

#include <CLI/CLI.hpp>

namespace sluice::server {

void add_batch_flags(CLI::App& command, ai::openai::BatchOptions& o) {
  command
      .add_option("--file-size-limit", o.file_size_limit, "Largest file POST /v1/files accepts, in bytes; larger → 413")
      ->envname("SLUICE_FILE_SIZE_LIMIT")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  command
      .add_option("--batch-concurrency", o.concurrency,
                  "Requests of one /v1/batches batch in flight at once (they queue behind interactive requests)")
      ->envname("SLUICE_BATCH_CONCURRENCY")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
}

}  // namespace sluice::server
