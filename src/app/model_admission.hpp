#pragma once
// Admission control around the model stage only. A model route's request spends most of its
// time waiting on I/O (the context API, a remote provider, the client reading a stream); a cap
// on the whole request made 64 in flight × 20 ms of upstream wait the ceiling of /generate
// (3,200 req/s). The model call is what a burst can exhaust, so the gate covers that call.

#include "sluice/ai/generator.hpp"
#include "sluice/limits/admission.hpp"

#include <memory>

namespace sluice::server {

/// A Generator whose generate() first takes a slot in `gate` (503 `overloaded` when shed) and
/// holds it until the generation, streamed pieces included, is done.
class AdmittedGenerator final : public ai::Generator {
 public:
  AdmittedGenerator(std::shared_ptr<ai::Generator> inner, std::shared_ptr<limits::AdmissionGate> gate)
      : inner_(std::move(inner)), gate_(std::move(gate)) {}
  std::string model() const override { return inner_->model(); }
  ai::ModelCard card() const override { return inner_->card(); }
  std::vector<ai::NamedModel> models() const override { return inner_->models(); }
  ai::GeneratorFeatures features(std::string_view name) const override { return inner_->features(name); }
  boost::asio::awaitable<core::Result<ai::Generation>> generate(ai::GenerationRequest request,
                                                                ai::PieceSink on_piece) override;

 private:
  std::shared_ptr<ai::Generator> inner_;
  std::shared_ptr<limits::AdmissionGate> gate_;
};

}  // namespace sluice::server
