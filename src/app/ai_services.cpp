#include "ai_services.hpp"

#include "local_models.hpp"

#include "sluice/ai/batcher.hpp"
#include "sluice/ai/extractive_generator.hpp"
#include "sluice/ai/remote_provider.hpp"
#include "sluice/client/http_client.hpp"
#include "sluice/obs/metrics.hpp"

namespace sluice::app {

namespace {

void add_builtin(App& app, const AiOptions& options) {
  auto& services = app.services();
  // Built now, not on first use: the projection matrix takes a few milliseconds to fill.
  auto model = std::make_shared<const ai::BuiltinEmbeddingModel>(
      ai::BuiltinEmbedderOptions{.name = options.embedding_model.empty() ? "sluice-embed" : options.embedding_model,
                                 .dimension = options.embedding_dim});
  ai::BatcherOptions batching{.max_batch_size = options.batch_max_size,
                              .max_batch_tokens = options.batch_max_tokens,
                              .max_wait = std::chrono::microseconds(options.batch_max_wait_us),
                              .max_queue = options.batch_max_queue,
                              .max_text_tokens = options.max_input_tokens};
  auto* compute = &app.compute();
  services.add_singleton<ai::Embedder>(
      std::function<std::shared_ptr<ai::Embedder>(di::Container&)>([model, batching, compute](di::Container& c) {
        auto options = batching;
        if (c.has<obs::Registry>()) options.metrics = c.get<obs::Registry>();
        auto batcher = std::make_shared<ai::Batcher>(model, *compute, std::move(options));
        return std::make_shared<ai::BatchedEmbedder>(std::move(batcher));
      }));
  services.add_singleton<ai::Generator>(std::make_shared<ai::ExtractiveGenerator>(
      app.compute(), options.model.empty() ? "sluice-extractive" : options.model));
}

/// Both models from one OpenAI-compatible upstream, over the library's HTTP client.
void add_remote(App& app, const AiOptions& options, std::function<void(const client::CallRecord&)> on_call) {
  if (!client::is_supported_url(options.provider_url))
    throw std::runtime_error("--provider-url must be an http:// or https:// URL with a host, not '" +
                             options.provider_url + "'");
  auto client = std::make_shared<client::HttpClient>(
      client::ClientOptions{
          .timeout = options.provider_timeout, .ca_file = options.provider_ca_file, .on_call = std::move(on_call)});
  app.services().on_shutdown([client] { client->close_idle(); });
  auto provider = std::make_shared<ai::RemoteProvider>(
      client,
      ai::RemoteOptions{.base_url = options.provider_url,
                        .api_key = options.provider_api_key,
                        .chat_model = options.model.empty() ? "default" : options.model,
                        .embedding_model = options.embedding_model.empty() ? "default" : options.embedding_model,
                        .embedding_dimension = options.embedding_dim,
                        .timeout = options.provider_timeout,
                        .max_retries = options.provider_retries});
  app.services().add_singleton<ai::Embedder>(std::make_shared<ai::RemoteEmbedder>(provider));
  app.services().add_singleton<ai::Generator>(std::make_shared<ai::RemoteGenerator>(provider));
}

}  // namespace

void add_ai_services(App& app, const AiOptions& options, std::function<void(const client::CallRecord&)> on_call) {
  if (options.provider_url.empty())
    add_builtin(app, options);
  else
    add_remote(app, options, std::move(on_call));
  // GGUF files replace the singletons above for what they serve (generation, embeddings or both).
  if (!options.local_models.empty() || !options.local_embedding_models.empty()) add_local_models(app, options);
}

}  // namespace sluice::app
