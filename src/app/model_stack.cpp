#include "model_stack.hpp"

#include "local_models.hpp"
#include "model_admission.hpp"

#include "sluice/ai/batcher.hpp"
#include "sluice/ai/extractive_generator.hpp"
#include "sluice/ai/model_routers.hpp"
#include "sluice/ai/remote_provider.hpp"

#include <stdexcept>

namespace sluice::server {

namespace {

ModelStack builtin(const AiOptions& options, const ModelStackContext& context) {
  // Built now, not on first use: the projection matrix takes a few milliseconds to fill.
  auto model = std::make_shared<const ai::BuiltinEmbeddingModel>(
      ai::BuiltinEmbedderOptions{.name = options.embedding_model.empty() ? "sluice-embed" : options.embedding_model,
                                 .dimension = options.embedding_dim});
  ai::BatcherOptions batching{.max_batch_size = options.batch_max_size,
                              .max_batch_tokens = options.batch_max_tokens,
                              .max_wait = std::chrono::microseconds(options.batch_max_wait_us),
                              .max_queue = options.batch_max_queue,
                              .max_text_tokens = options.max_input_tokens,
                              .metrics = context.metrics};
  auto batcher = std::make_shared<ai::Batcher>(model, context.compute, std::move(batching));
  return {std::make_shared<ai::BatchedEmbedder>(std::move(batcher)),
          std::make_shared<ai::ExtractiveGenerator>(context.compute,
                                                    options.model.empty() ? "sluice-extractive" : options.model),
          nullptr};
}

/// Both models from one OpenAI-compatible upstream, over the library's HTTP client.
ModelStack remote(const AiOptions& options, const ModelStackContext& context) {
  if (!client::is_supported_url(options.provider_url))
    throw std::runtime_error("--provider-url must be an http:// or https:// URL with a host, not '" +
                             options.provider_url + "'");
  auto client = std::make_shared<client::HttpClient>(client::ClientOptions{
      .timeout = options.provider_timeout, .ca_file = options.provider_ca_file, .on_call = context.on_call});
  auto provider = std::make_shared<ai::RemoteProvider>(
      client,
      ai::RemoteOptions{.base_url = options.provider_url,
                        .api_key = options.provider_api_key,
                        .chat_model = options.model.empty() ? "default" : options.model,
                        .embedding_model = options.embedding_model.empty() ? "default" : options.embedding_model,
                        .embedding_dimension = options.embedding_dim,
                        .timeout = options.provider_timeout,
                        .max_retries = options.provider_retries});
  return {std::make_shared<ai::RemoteEmbedder>(provider), std::make_shared<ai::RemoteGenerator>(provider),
          std::move(client)};
}

}  // namespace

ModelStack build_model_stack(const AiOptions& options, const ModelStackContext& context) {
  // 1. The provider serves both kinds.
  auto stack = options.provider_url.empty() ? builtin(options, context) : remote(options, context);
  // 2. GGUF files replace what they serve; the first of each flag is the default, a request's
  //    `model` picks another.
  auto local = load_local_models(options, context.compute, context.metrics);
  if (local.generators.size() == 1) stack.generator = std::move(local.generators.front());
  else if (!local.generators.empty()) stack.generator = std::make_shared<ai::GeneratorRouter>(std::move(local.generators));
  if (local.embedders.size() == 1) stack.embedder = std::move(local.embedders.front());
  else if (!local.embedders.empty()) stack.embedder = std::make_shared<ai::EmbedderRouter>(std::move(local.embedders));
  // 3. Model calls take an admission slot; the I/O a request waits on does not.
  if (context.generation_gate)
    stack.generator = std::make_shared<AdmittedGenerator>(std::move(stack.generator), context.generation_gate);
  return stack;
}

void add_model_stack(App& app, const ModelStack& models) {
  app.services().add_singleton<ai::Embedder>(models.embedder);
  app.services().add_singleton<ai::Generator>(models.generator);
  if (auto client = models.provider_client) app.services().on_shutdown([client] { client->close_idle(); });
}

}  // namespace sluice::server
