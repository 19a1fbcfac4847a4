#pragma once
// Several models behind one ai::Generator or ai::Embedder: a request picks one by name.

#include "sluice/ai/embedder.hpp"
#include "sluice/ai/generator.hpp"

#include <memory>
#include <vector>

namespace sluice::ai {

/// Sends each request to the generator named by GenerationRequest::model (the first one when
/// the name is empty), so that the routes, admission control and batches that take one
/// ai::Generator serve several models (`sluice serve --model a=a.gguf --model b=b.gguf`).
class GeneratorRouter final : public Generator {
 public:
  /// `generators`: at least one; the first is the default. Names must differ.
  explicit GeneratorRouter(std::vector<std::shared_ptr<Generator>> generators);

  std::string model() const override { return generators_.front()->model(); }
  ModelCard card() const override { return generators_.front()->card(); }
  std::vector<NamedModel> models() const override;
  GeneratorFeatures features(std::string_view name) const override;
  /// Errors: 404 model_not_found for a name none of them has.
  boost::asio::awaitable<core::Result<Generation>> generate(GenerationRequest request, PieceSink on_piece) override;

 private:
  std::vector<std::shared_ptr<Generator>> generators_;
};

/// Several embedders as one: the first is the default (what embed() and the datasets use), and
/// serving(name) finds the others (`--embedding-model a=a.gguf --embedding-model b=b.gguf`).
class EmbedderRouter final : public Embedder {
 public:
  /// `embedders`: at least one; the first is the default. Names must differ.
  explicit EmbedderRouter(std::vector<std::shared_ptr<Embedder>> embedders);

  std::string model() const override { return embedders_.front()->model(); }
  std::size_t dimension() const override { return embedders_.front()->dimension(); }
  ModelCard card() const override { return embedders_.front()->card(); }
  bool supports_dimensions() const override { return embedders_.front()->supports_dimensions(); }
  std::vector<NamedModel> models() const override;
  Embedder* serving(std::string_view name) override;
  boost::asio::awaitable<core::Result<Embeddings>> embed(std::vector<std::string> texts) override {
    return embedders_.front()->embed(std::move(texts));
  }
  boost::asio::awaitable<core::Result<Embeddings>> embed_background(std::vector<std::string> texts) override {
    return embedders_.front()->embed_background(std::move(texts));
  }
  std::optional<std::size_t> count_tokens(std::string_view text) const override {
    return embedders_.front()->count_tokens(text);
  }
  std::optional<std::vector<Vector>> embed_on_this_thread(const std::vector<std::string>& texts) const override {
    return embedders_.front()->embed_on_this_thread(texts);
  }

 private:
  std::vector<std::shared_ptr<Embedder>> embedders_;
};

}  // namespace sluice::ai
