#pragma once
// The one place that decides which ai::Embedder and ai::Generator the server runs, in the order
// the decisions apply: the provider (built-in, or remote with --provider-url), then GGUF files
// in place of what they serve (several of a kind behind a router), then admission control
// around the generator. `sluice serve` and `sluice worker` build the same stack.

#include "ai_options.hpp"

#include "sluice/ai/embedder.hpp"
#include "sluice/ai/generator.hpp"
#include "sluice/api/app.hpp"
#include "sluice/client/http_client.hpp"
#include "sluice/core/compute_pool.hpp"
#include "sluice/limits/admission.hpp"
#include "sluice/obs/metrics.hpp"

#include <functional>
#include <memory>

namespace sluice::server {

struct ModelStack {
  std::shared_ptr<ai::Embedder> embedder;
  std::shared_ptr<ai::Generator> generator;
  std::shared_ptr<client::HttpClient> provider_client;  // a remote provider's; null otherwise
};

struct ModelStackContext {
  core::ComputePool& compute;
  std::shared_ptr<obs::Registry> metrics;  // batchers' and local models' figures; null: none
  /// Sees every (non-streamed) call to a remote provider, for upstream metrics.
  std::function<void(const client::CallRecord&)> on_call;
  /// Generation takes a slot here first (model_admission.hpp); null: no admission control.
  std::shared_ptr<limits::AdmissionGate> generation_gate;
};

/// Builds the stack (loading GGUF files now). Throws std::runtime_error with the reason when a
/// model cannot be loaded or a URL is not usable: the server must not start.
ModelStack build_model_stack(const AiOptions& options, const ModelStackContext& context);

/// Registers the stack as the ai::Embedder and ai::Generator singletons of `app`.
void add_model_stack(App& app, const ModelStack& models);

}  // namespace sluice::server
