#pragma once
// Embedders: texts in, one vector per text out.

#include "sluice/ai/model_card.hpp"
#include "sluice/core/error.hpp"

#include <boost/asio/awaitable.hpp>

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace sluice::ai {

using Vector = std::vector<float>;

/// One embedding call's answer: a vector per input text, in input order, and the tokens read.
struct Embeddings {
  std::vector<Vector> vectors;
  std::size_t prompt_tokens = 0;
};

/// Texts → vectors. Implementations either compute on the compute pool (built-in, local models)
/// or call a service (remote); either way callers just co_await embed() from an IO thread.
class Embedder {
 public:
  virtual ~Embedder() = default;
  /// The model id clients see in /v1/models and send as `model`.
  virtual std::string model() const = 0;
  /// Length of the vectors embed() returns.
  virtual std::size_t dimension() const = 0;
  /// Context length and size where known (local models).
  virtual ModelCard card() const { return {}; }
  /// Whether a shorter `dimensions` may be asked for (prefix truncation + renormalisation is
  /// sound for this model); when false only the native dimension is served.
  virtual bool supports_dimensions() const { return false; }
  /// Every model this serves, the default (model()) first: more than one for an EmbedderRouter.
  virtual std::vector<NamedModel> models() const { return {{model(), card()}}; }
  /// The embedder of the model `name` (empty: the default): this one, or an EmbedderRouter's
  /// member of that name; null when there is none.
  virtual Embedder* serving(std::string_view name) { return name.empty() || name == model() ? this : nullptr; }
  /// Embeds `texts`. Expected failures (queue full, upstream down, deadline) are values.
  virtual boost::asio::awaitable<core::Result<Embeddings>> embed(std::vector<std::string> texts) = 0;
  /// embed() for work that must yield to interactive requests (batches): an embedder that
  /// queues (the dynamic batcher) runs it only in capacity interactive texts leave free. The
  /// default is plain embed().
  virtual boost::asio::awaitable<core::Result<Embeddings>> embed_background(std::vector<std::string> texts) {
    return embed(std::move(texts));
  }
  /// Tokens of `text` as this model counts them; none when its tokenizer is not at hand (a
  /// remote model). Dataset chunk sizes are in these tokens.
  virtual std::optional<std::size_t> count_tokens(std::string_view /*text*/) const { return std::nullopt; }
  /// Embeds `texts` on the calling thread, for a caller that already holds a compute thread
  /// (an indexing job): queueing behind a batcher from there could wait for a thread that every
  /// running job holds. None when this embedder cannot (a remote one: co_await embed()).
  /// Throws on a model failure.
  virtual std::optional<std::vector<Vector>> embed_on_this_thread(const std::vector<std::string>& /*texts*/) const {
    return std::nullopt;
  }
};

/// `v` cut to its first `dimensions` entries and scaled back to unit length.
Vector truncate_and_normalise(const Vector& v, std::size_t dimensions);

}  // namespace sluice::ai
