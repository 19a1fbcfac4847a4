#pragma once
// The `local` provider in the server: GGUF models named by --model / --embedding-model.

#include "ai_options.hpp"

#include "sluice/ai/embedder.hpp"
#include "sluice/ai/generator.hpp"
#include "sluice/core/compute_pool.hpp"
#include "sluice/obs/metrics.hpp"

#include <memory>

#include <string>
#include <vector>

namespace sluice::server {

/// Whether `value` (of --model / --embedding-model) names a GGUF file rather than a model id.
bool is_gguf_spec(const std::string& value);

struct LocalModels {
  std::vector<std::shared_ptr<ai::Generator>> generators;  // --model files, in flag order
  std::vector<std::shared_ptr<ai::Embedder>> embedders;    // --embedding-model files, in flag order
};

/// Loads the GGUF models in `options` (their figures into `metrics`, when given). Throws
/// std::runtime_error with the reason when a model cannot be loaded, or when two of a kind
/// share a name: the server must not start.
LocalModels load_local_models(const AiOptions& options, core::ComputePool& compute,
                              const std::shared_ptr<obs::Registry>& metrics);

}  // namespace sluice::server
