#include "sluice/ai/model_routers.hpp"

#include <fmt/format.h>

#include <stdexcept>

namespace sluice::ai {

GeneratorRouter::GeneratorRouter(std::vector<std::shared_ptr<Generator>> generators)
    : generators_(std::move(generators)) {
  if (generators_.empty()) throw std::invalid_argument("a GeneratorRouter needs a generator");
}

bool serves(const Generator& generator, std::string_view name) {
  for (const auto& entry : generator.models())
    if (entry.id == name) return true;
  return false;
}

std::vector<NamedModel> GeneratorRouter::models() const {
  std::vector<NamedModel> out;
  for (const auto& generator : generators_)
    for (auto& entry : generator->models()) out.push_back(std::move(entry));
  return out;
}

GeneratorFeatures GeneratorRouter::features(std::string_view name) const {
  for (const auto& generator : generators_)
    if (name.empty() || serves(*generator, name)) return generator->features(name);
  return {};
}

boost::asio::awaitable<core::Result<Generation>> GeneratorRouter::generate(GenerationRequest request,
                                                                           PieceSink on_piece) {
  for (const auto& generator : generators_)
    if (request.model.empty() || serves(*generator, request.model))
      co_return co_await generator->generate(std::move(request), std::move(on_piece));
  co_return core::Error{404, "model_not_found", fmt::format("The model '{}' does not exist", request.model), nullptr};
}

EmbedderRouter::EmbedderRouter(std::vector<std::shared_ptr<Embedder>> embedders) : embedders_(std::move(embedders)) {
  if (embedders_.empty()) throw std::invalid_argument("an EmbedderRouter needs an embedder");
}

std::vector<NamedModel> EmbedderRouter::models() const {
  std::vector<NamedModel> out;
  for (const auto& embedder : embedders_)
    for (auto& entry : embedder->models()) out.push_back(std::move(entry));
  return out;
}

Embedder* EmbedderRouter::serving(std::string_view name) {
  for (const auto& embedder : embedders_)
    if (auto* found = embedder->serving(name)) return found;
  return nullptr;
}

}  // namespace sluice::ai
