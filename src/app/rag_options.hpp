#pragma once
// `sluice serve` settings for datasets and retrieval.

#include "sluice/ai/embedder.hpp"
#include "sluice/rag/datasets.hpp"

#include <CLI/App.hpp>

#include <memory>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace sluice::server {

struct RagOptions {
  std::int64_t context_dataset = 0;     // GET /generate retrieves its context here; 0: off
  std::vector<std::string> admin_keys;  // API keys that see every dataset
  std::uint64_t upload_limit = 512ull * 1024 * 1024;  // POST /datasets/{id}/documents body bytes
  std::optional<double> hybrid_vector_weight;  // unset: by embedder (built-in lexical: less, else 1)
};

/// Hybrid search's default vector weight with the built-in embedder: a lexical model, it mostly
/// repeats what BM25 found with more noise (docs/rag.md; figures in docs/benchmarks.md).
inline constexpr double kLexicalVectorWeight = 0.2;

/// The vector ranking's weight in hybrid search: the flag's, else by the embedder's kind.
inline double hybrid_vector_weight(const RagOptions& options, bool is_builtin_embedder) {
  return options.hybrid_vector_weight.value_or(is_builtin_embedder ? kLexicalVectorWeight : 1.0);
}

/// The database a server or worker shares with the others (--database-url); null when unset.
std::shared_ptr<postgres::Database> open_database(const std::string& url);
/// The datasets of a server or worker: on `database` when there is one (shared by every node;
/// the schema is migrated here), else SQLite in <data_dir>/rag. Index files live in
/// <data_dir>/rag either way.
std::shared_ptr<rag::Datasets> open_datasets(const std::string& data_dir, std::shared_ptr<postgres::Database> database,
                                             std::shared_ptr<ai::Embedder> embedder, double vector_weight,
                                             bool serves_searches = true);

/// Adds --context-dataset, --dataset-admin-keys, --upload-limit and --hybrid-vector-weight to `command`.
void add_rag_flags(CLI::App& command, RagOptions& options);

}  // namespace sluice::server
