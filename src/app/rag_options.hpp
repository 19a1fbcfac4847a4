#pragma once
// `sluice serve` settings for datasets and retrieval.

#include <CLI/App.hpp>

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

/// Adds --context-dataset, --dataset-admin-keys, --upload-limit and --hybrid-vector-weight to `command`.
void add_rag_flags(CLI::App& command, RagOptions& options);

}  // namespace sluice::server
