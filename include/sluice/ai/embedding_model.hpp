#pragma once
// A local embedding model: CPU work the server runs on its compute pool (through a Batcher).
// The built-in hashed model implements it; a local GGUF encoder would be one more.

#include "sluice/ai/embedder.hpp"

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace sluice::ai {

/// Must be safe to call from several compute threads at once.
class EmbeddingModel {
 public:
  virtual ~EmbeddingModel() = default;
  virtual std::string name() const = 0;
  virtual std::size_t dimension() const = 0;
  virtual ModelCard card() const { return {}; }
  virtual bool supports_dimensions() const { return false; }
  /// Tokens `text` costs: what usage reports and what max_batch_tokens bounds.
  virtual std::size_t count_tokens(std::string_view text) const = 0;
  /// Embeds a whole batch in one call: a model whose cost per batch is sub-linear in its size
  /// (the weights are read once per batch) gains from being handed many texts at once.
  virtual std::vector<Vector> embed_batch(const std::vector<std::string>& texts) const = 0;
  /// embed_batch that also says how many tokens each text cost (exact usage, for models whose
  /// count_tokens is only an estimate). Default: count_tokens of each text.
  virtual std::vector<Vector> embed_batch_counted(const std::vector<std::string>& texts,
                                                  std::vector<std::size_t>& tokens) const {
    tokens.clear();
    for (const auto& text : texts) tokens.push_back(count_tokens(text));
    return embed_batch(texts);
  }
};

struct BuiltinEmbedderOptions {
  std::string name = "sluice-embed";
  std::size_t dimension = 384;
  /// Width of the hashed feature vector, i.e. rows of the projection matrix.
  std::size_t hashed_features = 16384;
  std::uint64_t seed = 0x5151ce5eedULL;
};

/// The built-in embedder, no weights to download. Each text becomes hashed features (word
/// unigrams and bigrams, character 3- and 4-grams of each word, sublinear TF 1+ln(tf), signed
/// feature hashing), L2-normalised; then a fixed pseudo-random projection (seeded, so every
/// process computes the same vectors) maps them to `dimension` floats, L2-normalised again.
/// A random projection keeps cosine similarities (Johnson–Lindenstrauss), so texts that share
/// words and word pieces end up close: a paraphrase ranks above an unrelated text. It knows no
/// synonyms: it is a lexical model, not a semantic one.
///
/// Why the projection is a dense matrix product: it gives the built-in model the cost shape of a
/// real encoder, whose dense layers' weights dominate memory traffic. The hashed input is
/// sparse, and a sparse-aware product would be cheaper for this model; the dense one is kept on
/// purpose (and identically for one text or many) so that batching behaves here as it does with
/// a real model: one text streams the whole matrix (hashed_features × dimension weights, stored
/// as int8 like a quantised model's: 6 MiB by default), a batch streams it once for all its texts.
class BuiltinEmbeddingModel final : public EmbeddingModel {
 public:
  explicit BuiltinEmbeddingModel(BuiltinEmbedderOptions options = {});
  std::string name() const override { return options_.name; }
  std::size_t dimension() const override { return options_.dimension; }
  bool supports_dimensions() const override { return true; }
  std::size_t count_tokens(std::string_view text) const override;
  std::vector<Vector> embed_batch(const std::vector<std::string>& texts) const override;

 private:
  /// The L2-normalised hashed features of `text`, written into `out` (hashed_features floats).
  void hash_features(std::string_view text, float* out) const;

  BuiltinEmbedderOptions options_;
  std::vector<std::int8_t> projection_;  // hashed_features × dimension, row-major
};

}  // namespace sluice::ai
