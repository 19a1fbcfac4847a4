#pragma once
// `sluice serve` settings for datasets and retrieval.

#include <CLI/App.hpp>

#include <cstdint>
#include <string>
#include <vector>

namespace sluice::app {

struct RagOptions {
  std::int64_t context_dataset = 0;     // GET /generate retrieves its context here; 0: off
  std::vector<std::string> admin_keys;  // API keys that see every dataset
  std::uint64_t upload_limit = 512ull * 1024 * 1024;  // POST /datasets/{id}/documents body bytes
};

/// Adds --context-dataset, --dataset-admin-keys and --upload-limit to `command`.
void add_rag_flags(CLI::App& command, RagOptions& options);

}  // namespace sluice::app
