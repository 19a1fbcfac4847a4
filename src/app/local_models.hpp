#pragma once
// The `local` provider in the server: GGUF models named by --model / --embedding-model.

#include "ai_options.hpp"

#include "sluice/api/app.hpp"

#include <string>

namespace sluice::app {

/// Whether `value` (of --model / --embedding-model) names a GGUF file rather than a model id.
bool is_gguf_spec(const std::string& value);

/// Loads the GGUF models in `options` and registers them as the ai::Generator / ai::Embedder
/// singletons (with their metrics in the obs::Registry, when one is registered). Throws
/// std::runtime_error with the reason when a model cannot be loaded: the server must not start.
void add_local_models(App& app, const AiOptions& options);

}  // namespace sluice::app
