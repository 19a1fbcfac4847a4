#include "llama_model.hpp"

#include "sluice/ai/local_model.hpp"

#include <fmt/format.h>

#include <cmath>
#include <mutex>
#include <stdexcept>

namespace sluice::ai {

struct LocalEmbeddingModel::Impl {
  std::shared_ptr<local::LoadedModel> model;
  LocalEmbedderOptions options;
  std::size_t max_tokens = 0;  // per input: the trained context, at most one decode's worth
  std::size_t dimension = 0;
  std::size_t max_sequences = 0;
  mutable std::mutex mutex;   // guards context and batch: one embedding pass at a time
  local::ContextPtr context;
  llama_batch batch{};

  ~Impl() {
    if (batch.token) llama_batch_free(batch);
  }

  /// Embeds texts [first, last) of `inputs` in one decode, one sequence each, into `out`.
  void decode(const std::vector<std::vector<llama_token>>& inputs, std::size_t first, std::size_t last,
              std::vector<Vector>& out) const;
};

namespace {

// Sequences one decode may carry; llama.cpp's limit is LLAMA_MAX_SEQ (256).
constexpr std::size_t max_sequences_per_decode = 64;

/// The GGUF's pooling type, or mean for a model that names none (a decoder such as Llama):
/// mean pooling is what sentence-embedding models built on decoders commonly use.
enum llama_pooling_type pooling_of(const llama_model* model) {
  auto arch = local::meta_string(model, "general.architecture");
  auto named = local::meta_string(model, arch + ".pooling_type");
  if (named.empty()) return LLAMA_POOLING_TYPE_MEAN;
  auto type = static_cast<enum llama_pooling_type>(std::stoi(named));
  return type == LLAMA_POOLING_TYPE_NONE ? LLAMA_POOLING_TYPE_MEAN : type;
}

}  // namespace

core::Result<std::shared_ptr<LocalEmbeddingModel>> LocalEmbeddingModel::load(LocalEmbedderOptions options) {
  auto model = local::load_model(options.name, options.path);
  if (!model) return model.error();
  auto impl = std::make_unique<Impl>();
  impl->model = *model;
  impl->options = options;
  const auto& info = impl->model->info;
  const std::size_t batch_tokens = std::max<std::size_t>(options.batch_tokens, 64);
  impl->max_tokens = std::min(info.context_length == 0 ? batch_tokens : info.context_length, batch_tokens);
  impl->max_sequences = max_sequences_per_decode;
  auto params = llama_context_default_params();
  params.embeddings = true;
  params.pooling_type = pooling_of(impl->model->model.get());
  params.n_ctx = static_cast<std::uint32_t>(batch_tokens);
  params.n_batch = params.n_ubatch = static_cast<std::uint32_t>(batch_tokens);
  params.n_seq_max = static_cast<std::uint32_t>(impl->max_sequences);
  const int threads = options.threads > 0 ? options.threads : static_cast<int>(core::available_cpus());
  params.n_threads = params.n_threads_batch = threads;
  params.no_perf = true;
  params.kv_unified = true;  // the cells are shared by whichever sequences one decode carries
  impl->context.reset(llama_init_from_model(impl->model->model.get(), params));
  if (!impl->context)
    return core::Error{400, "model_load_failed",
                       fmt::format("cannot create an embedding context for '{}'", options.path), nullptr};
  impl->dimension = static_cast<std::size_t>(llama_model_n_embd_out(impl->model->model.get()));
  if (impl->dimension == 0) impl->dimension = info.embedding_length;
  impl->batch = llama_batch_init(static_cast<std::int32_t>(batch_tokens), 0, 1);
  return std::shared_ptr<LocalEmbeddingModel>(new LocalEmbeddingModel(std::move(impl)));
}

LocalEmbeddingModel::LocalEmbeddingModel(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
LocalEmbeddingModel::~LocalEmbeddingModel() = default;

std::string LocalEmbeddingModel::name() const { return impl_->model->info.name; }
std::size_t LocalEmbeddingModel::dimension() const { return impl_->dimension; }
ModelCard LocalEmbeddingModel::card() const { return {impl_->max_tokens, impl_->model->info.parameters}; }
const LocalModelInfo& LocalEmbeddingModel::info() const { return impl_->model->info; }

std::size_t LocalEmbeddingModel::count_tokens(std::string_view text) const {
  // Runs on the caller's IO thread (the batcher sizes batches with it), so no tokenising here:
  // a byte pair per token is a generous bound for any subword vocabulary.
  return std::min(text.size() / 2 + 2, impl_->max_tokens);
}

std::vector<Vector> LocalEmbeddingModel::embed_batch(const std::vector<std::string>& texts) const {
  std::vector<std::size_t> tokens;
  return embed_batch_counted(texts, tokens);
}

std::vector<Vector> LocalEmbeddingModel::embed_batch_counted(const std::vector<std::string>& texts,
                                                             std::vector<std::size_t>& tokens) const {
  auto& impl = *impl_;
  std::vector<std::vector<llama_token>> inputs;
  inputs.reserve(texts.size());
  tokens.clear();
  for (const auto& text : texts) {
    auto t = local::tokenize(impl.model->vocab, text, true);
    if (t.size() > impl.max_tokens) {
      if (!impl.options.truncate)
        throw std::invalid_argument(fmt::format("an input has {} tokens; the model '{}' embeds at most {}", t.size(),
                                                impl.model->info.name, impl.max_tokens));
      t.resize(impl.max_tokens);
    }
    if (t.empty()) t.push_back(llama_vocab_bos(impl.model->vocab));
    tokens.push_back(t.size());
    inputs.push_back(std::move(t));
  }
  std::vector<Vector> out(texts.size());
  std::lock_guard lock(impl.mutex);
  // As many inputs per decode as fit in its tokens and sequences.
  std::size_t first = 0;
  while (first < inputs.size()) {
    std::size_t last = first, used = 0;
    while (last < inputs.size() && last - first < impl.max_sequences && used + inputs[last].size() <= impl.max_tokens) {
      used += inputs[last].size();
      ++last;
    }
    impl.decode(inputs, first, last, out);
    first = last;
  }
  return out;
}

void LocalEmbeddingModel::Impl::decode(const std::vector<std::vector<llama_token>>& inputs, std::size_t first,
                                       std::size_t last, std::vector<Vector>& out) const {
  auto* ctx = context.get();
  // The cells' metadata only: zeroing the cache's data too (true) cost ~8% of a short text's
  // embedding, and a decode never reads a cell before writing it.
  llama_memory_clear(llama_get_memory(ctx), false);
  auto b = batch;
  b.n_tokens = 0;
  for (std::size_t i = first; i < last; ++i) {
    const auto seq = static_cast<llama_seq_id>(i - first);
    for (std::size_t p = 0; p < inputs[i].size(); ++p) {
      const auto k = b.n_tokens++;
      b.token[k] = inputs[i][p];
      b.pos[k] = static_cast<llama_pos>(p);
      b.n_seq_id[k] = 1;
      b.seq_id[k][0] = seq;
      b.logits[k] = true;  // every token's output feeds the pooling
    }
  }
  // llama_decode runs encoder-only models (BERT) through their encoder as well.
  const int status = llama_decode(ctx, b);
  if (status != 0) throw std::runtime_error(fmt::format("llama.cpp could not embed a batch ({})", status));
  for (std::size_t i = first; i < last; ++i) {
    const float* v = llama_get_embeddings_seq(ctx, static_cast<llama_seq_id>(i - first));
    if (!v) throw std::runtime_error("llama.cpp returned no pooled embedding");
    Vector vector(v, v + dimension);
    double norm = 0;
    for (float x : vector) norm += static_cast<double>(x) * x;
    norm = std::sqrt(norm);
    if (norm > 0)
      for (float& x : vector) x = static_cast<float>(x / norm);
    out[i] = std::move(vector);
  }
}

}  // namespace sluice::ai
