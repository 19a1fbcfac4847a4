#pragma once
// Registers the configured AI providers: an ai::Embedder and an ai::Generator singleton.

#include "ai_options.hpp"

#include "sluice/api/app.hpp"

namespace sluice::app {

/// Built-in models (embedder behind a dynamic batcher, extractive generator) unless
/// `options.provider_url` names a remote OpenAI-compatible API. Batcher metrics go to the
/// obs::Registry singleton when one is registered.
void add_ai_services(App& app, const AiOptions& options);

}  // namespace sluice::app
