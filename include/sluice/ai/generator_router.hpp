#pragma once
// Several generation models behind one ai::Generator: a request picks one by name.

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
  /// Errors: 404 model_not_found for a name none of them has.
  boost::asio::awaitable<core::Result<Generation>> generate(GenerationRequest request, PieceSink on_piece) override;

 private:
  std::vector<std::shared_ptr<Generator>> generators_;
};

}  // namespace sluice::ai
