#include "local_models.hpp"

#include "sluice/ai/batcher.hpp"
#include "sluice/ai/local_model.hpp"
#include "sluice/obs/metrics.hpp"

#include <fmt/format.h>

#include <stdexcept>

namespace sluice::server {

namespace {

/// The local generator's figures as Prometheus series.
class LocalMetrics final : public ai::LocalModelObserver {
 public:
  LocalMetrics(obs::Registry& registry, const std::string& model)
      : prompt_(registry.counter("sluice_local_prompt_tokens_total", "Prompt tokens decoded (cache hits excluded)",
                                 {{"model", model}})),
        generated_(registry.counter("sluice_local_generated_tokens_total", "Tokens generated", {{"model", model}})),
        ttft_(registry.histogram("sluice_local_time_to_first_token_seconds",
                                 "From entering the queue to the first generated token", {{"model", model}})),
        busy_(registry.gauge("sluice_local_busy_sequences", "Sequences decoding", {{"model", model}})),
        queued_(registry.gauge("sluice_local_queue_depth", "Requests waiting for a sequence slot", {{"model", model}})),
        kv_used_(registry.gauge("sluice_local_kv_cells_used", "KV cache cells holding tokens", {{"model", model}})),
        kv_cells_(registry.gauge("sluice_local_kv_cells", "KV cache cells in all", {{"model", model}})),
        speed_(registry.gauge("sluice_local_tokens_per_second", "Tokens generated over the last second",
                              {{"model", model}})),
        rejected_(registry.counter("sluice_local_rejected_total", "Generation requests refused: queue full",
                                   {{"model", model}})) {}
  void on_prompt_tokens(std::size_t n) override { prompt_.inc(n); }
  void on_generated_tokens(std::size_t n) override { generated_.inc(n); }
  void on_first_token(std::chrono::duration<double> elapsed) override { ttft_.observe(elapsed.count()); }
  void on_step(std::size_t busy, std::size_t queued, std::size_t kv_used, std::size_t kv_cells,
               double tokens_per_second) override {
    busy_.set(static_cast<std::int64_t>(busy));
    queued_.set(static_cast<std::int64_t>(queued));
    kv_used_.set(static_cast<std::int64_t>(kv_used));
    kv_cells_.set(static_cast<std::int64_t>(kv_cells));
    speed_.set(static_cast<std::int64_t>(tokens_per_second));
  }
  void on_rejected() override { rejected_.inc(); }

 private:
  obs::Counter& prompt_;
  obs::Counter& generated_;
  obs::Histogram& ttft_;
  obs::Gauge& busy_;
  obs::Gauge& queued_;
  obs::Gauge& kv_used_;
  obs::Gauge& kv_cells_;
  obs::Gauge& speed_;
  obs::Counter& rejected_;
};

/// "name=path.gguf" or "path.gguf" (the name is then the file's stem).
std::pair<std::string, std::string> split_spec(const std::string& spec) {
  auto eq = spec.find('=');
  if (eq == std::string::npos) return {"", spec};
  return {spec.substr(0, eq), spec.substr(eq + 1)};
}

/// Throws when one of `loaded` already has the name `name`: a request could not tell them apart.
template <typename Model>
void refuse_a_second(const std::vector<std::shared_ptr<Model>>& loaded, const std::string& name, const char* flag) {
  for (const auto& model : loaded)
    if (model->model() == name)
      throw std::runtime_error(fmt::format("two {} files are named '{}': name them ({} name=path.gguf)", flag, name,
                                           flag));
}

}  // namespace

bool is_gguf_spec(const std::string& value) {
  return value.size() > 5 && value.compare(value.size() - 5, 5, ".gguf") == 0;
}

LocalModels load_local_models(const AiOptions& options, core::ComputePool& compute,
                              const std::shared_ptr<obs::Registry>& registry) {
  std::vector<std::shared_ptr<ai::Generator>> generators;
  for (const auto& spec : options.local_models) {
    auto [name, path] = split_spec(spec);
    ai::LocalGeneratorOptions local{.name = name,
                                    .path = path,
                                    .threads = options.model_threads,
                                    .parallel = options.parallel,
                                    .context = options.context,
                                    .batch_tokens = options.model_batch_tokens,
                                    .max_queue = options.model_max_queue,
                                    .gather = std::chrono::microseconds(options.model_gather_us)};
    if (registry) local.observer = std::make_shared<LocalMetrics>(*registry, name.empty() ? path : name);
    auto generator = ai::LocalGenerator::load(local, compute);
    if (!generator) throw std::runtime_error(generator.error().message);
    refuse_a_second(generators, (*generator)->model(), "--model");
    generators.push_back(std::move(*generator));
  }
  std::vector<std::shared_ptr<ai::Embedder>> embedders;
  for (const auto& spec : options.local_embedding_models) {
    auto [name, path] = split_spec(spec);
    auto model = ai::LocalEmbeddingModel::load({.name = name, .path = path, .threads = options.model_threads});
    if (!model) throw std::runtime_error(model.error().message);
    refuse_a_second(embedders, (*model)->name(), "--embedding-model");
    // One decode at a time (the model owns one context): concurrent callers' texts gather into
    // the next batch while it runs.
    ai::BatcherOptions batching{.max_batch_size = options.batch_max_size,
                                .max_batch_tokens = options.batch_max_tokens,
                                .max_wait = std::chrono::microseconds(options.batch_max_wait_us),
                                .max_queue = options.batch_max_queue,
                                .max_text_tokens = options.max_input_tokens,
                                .max_running = 1,
                                .metrics = registry};
    std::shared_ptr<const ai::EmbeddingModel> shared = *model;
    auto batcher = std::make_shared<ai::Batcher>(shared, compute, std::move(batching));
    embedders.push_back(std::make_shared<ai::BatchedEmbedder>(std::move(batcher)));
  }
  return {std::move(generators), std::move(embedders)};
}

}  // namespace sluice::server
