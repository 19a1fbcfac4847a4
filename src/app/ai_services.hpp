#pragma once
// Registers the configured AI providers: an ai::Embedder and an ai::Generator singleton.

#include "ai_options.hpp"

#include "sluice/api/app.hpp"
#include "sluice/ai/batcher.hpp"
#include "sluice/client/http_client.hpp"
#include "sluice/obs/metrics.hpp"

#include <functional>

namespace sluice::app {

/// Built-in models (embedder behind a dynamic batcher, extractive generator) unless
/// `options.provider_url` names a remote OpenAI-compatible API. Batcher metrics go to the
/// obs::Registry singleton when one is registered.
/// `on_call` sees every (non-streamed) call to a remote provider, for upstream metrics.

void add_ai_services(App& app, const AiOptions& options, std::function<void(const client::CallRecord&)> on_call = {});

}  // namespace sluice::app
