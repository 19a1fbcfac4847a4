#pragma once
// Writes GGUF models with random weights through ggml's GGUF writer: real architectures and
// tokenizers (copied from a vocabulary GGUF), noise for weights. For tests of code paths that
// need a model shape we have no weights for (an encoder), and for benchmarks that need a model
// large enough for its compute to matter. No download involved.

#include <cstdint>
#include <string>

namespace sluice::test {

struct RandomModelShape {
  std::string architecture = "llama";  // "llama" (decoder) or "bert" (encoder, mean pooling)
  std::int64_t dim = 768, layers = 12, ff = 2048, heads = 12, kv_heads = 12, context = 2048;
  unsigned seed = 1;
};

/// Writes `path`; the tokenizer.* metadata come from `vocab_from`. Returns the parameter count;
/// throws std::runtime_error when a file cannot be read or written.
std::uint64_t write_random_gguf(const std::string& path, const RandomModelShape& shape, const std::string& vocab_from);

}  // namespace sluice::test
