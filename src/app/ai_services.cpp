#include "ai_services.hpp"

#include "local_models.hpp"

#include "sluice/ai/batcher.hpp"
#include "sluice/ai/extractive_generator.hpp"
#include "sluice/ai/remote_provider.hpp"
#include "sluice/client/http_client.hpp"
#include "sluice/obs/metrics.hpp"

namespace sluice::app {

namespace {

/// The batcher's activity as Prometheus series (mean batch size = texts_total / batches_total).
class BatchMetrics final : public ai::BatcherObserver {
 public:
  BatchMetrics(obs::Registry& registry, const std::string& model)
      : batches_(registry.counter("sluice_ai_batches_total", "Embedding batches run", {{"model", model}})),
        texts_(registry.counter("sluice_ai_batch_texts_total", "Texts embedded in batches", {{"model", model}})),
        size_(registry.histogram("sluice_ai_batch_size", "Texts per embedding batch", {{"model", model}},
                                 {1, 2, 4, 8, 16, 32, 64, 128, 256})),
        queue_(registry.gauge("sluice_ai_queue_depth", "Texts waiting for the embedder", {{"model", model}})),
        rejected_(
            registry.counter("sluice_ai_rejected_total", "Embedding requests refused: queue full", {{"model", model}})),
        dropped_(registry.counter("sluice_ai_dropped_total",
                                  "Embedding requests dropped before their batch ran (caller left)",
                                  {{"model", model}})) {}
  void on_batch(std::size_t texts, std::size_t) override {
    batches_.inc();
    texts_.inc(texts);
    size_.observe(static_cast<double>(texts));
  }
  void on_queue_depth(std::size_t texts) override { queue_.set(static_cast<std::int64_t>(texts)); }
  void on_rejected() override { rejected_.inc(); }
  void on_dropped() override { dropped_.inc(); }

 private:
  obs::Counter& batches_;
  obs::Counter& texts_;
  obs::Histogram& size_;
  obs::Gauge& queue_;
  obs::Counter& rejected_;
  obs::Counter& dropped_;
};

void add_builtin(App& app, const AiOptions& options) {
  auto& services = app.services();
  // Built now, not on first use: the projection matrix takes a few milliseconds to fill.
  auto model = std::make_shared<const ai::BuiltinEmbeddingModel>(
      ai::BuiltinEmbedderOptions{.name = options.embedding_model.empty() ? "sluice-embed" : options.embedding_model,
                                 .dimension = options.embedding_dim});
  ai::BatcherOptions batching{.max_batch_size = options.batch_max_size,
                              .max_batch_tokens = options.batch_max_tokens,
                              .max_wait = std::chrono::microseconds(options.batch_max_wait_us),
                              .max_queue = options.batch_max_queue};
  auto* compute = &app.compute();
  services.add_singleton<ai::Embedder>(
      std::function<std::shared_ptr<ai::Embedder>(di::Container&)>([model, batching, compute](di::Container& c) {
        std::shared_ptr<ai::BatcherObserver> metrics;
        if (c.has<obs::Registry>()) metrics = std::make_shared<BatchMetrics>(*c.get<obs::Registry>(), model->name());
        auto batcher = std::make_shared<ai::Batcher>(model, *compute, batching, std::move(metrics));
        return std::make_shared<ai::BatchedEmbedder>(std::move(batcher));
      }));
  services.add_singleton<ai::Generator>(std::make_shared<ai::ExtractiveGenerator>(
      app.compute(), options.model.empty() ? "sluice-extractive" : options.model));
}

/// Both models from one OpenAI-compatible upstream, over the library's HTTP client.
void add_remote(App& app, const AiOptions& options, std::function<void(const client::CallRecord&)> on_call) {
  auto client = std::make_shared<client::HttpClient>(
      client::ClientOptions{.timeout = options.provider_timeout, .on_call = std::move(on_call)});
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

std::shared_ptr<ai::BatcherObserver> make_batch_metrics(const std::shared_ptr<obs::Registry>& registry,
                                                        const std::string& model) {
  if (!registry) return nullptr;
  return std::make_shared<BatchMetrics>(*registry, model);
}

void add_ai_services(App& app, const AiOptions& options, std::function<void(const client::CallRecord&)> on_call) {
  if (options.provider_url.empty())
    add_builtin(app, options);
  else
    add_remote(app, options, std::move(on_call));
  // GGUF files replace the singletons above for what they serve (generation, embeddings or both).
  if (!options.local_models.empty() || !options.local_embedding_models.empty()) add_local_models(app, options);
}

}  // namespace sluice::app
