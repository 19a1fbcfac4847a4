#pragma once
// Local GGUF models run in-process on llama.cpp: a generator with continuous batching and an
// embedding model. llama.cpp stays private to the sluice_ai_local target: nothing here names it.

#include "sluice/ai/embedding_model.hpp"
#include "sluice/ai/generator.hpp"
#include "sluice/core/compute_pool.hpp"
#include "sluice/core/error.hpp"

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace sluice::ai {

/// What /v1/models says about a loaded GGUF model.
struct LocalModelInfo {
  std::string name;          // the id clients send as `model`
  std::string path;
  std::string architecture;  // general.architecture, e.g. "llama", "bert"
  std::size_t context_length = 0;  // the context the model was trained with
  std::uint64_t parameters = 0;
  std::size_t embedding_length = 0;
};

/// The figures of a local generator, reported by its scheduler thread (thread-safe, cheap).
class LocalModelObserver {
 public:
  virtual ~LocalModelObserver() = default;
  /// Prompt tokens decoded (those reused from a slot's cache are not counted).
  virtual void on_prompt_tokens(std::size_t tokens) = 0;
  virtual void on_generated_tokens(std::size_t tokens) = 0;
  /// From a request entering the queue to its first generated token.
  virtual void on_first_token(std::chrono::duration<double> elapsed) = 0;
  /// After each decode step: sequences running, requests queued, KV cells holding tokens (of
  /// kv_cells in all), generated tokens per second over the last second.
  virtual void on_step(std::size_t busy_sequences, std::size_t queued, std::size_t kv_used, std::size_t kv_cells,
                       double tokens_per_second) = 0;
  virtual void on_rejected() = 0;  // queue full
};

struct LocalGeneratorOptions {
  std::string name;  // empty: the file name without .gguf
  std::string path;
  int threads = 0;                 // decode threads; 0: the CPUs this process may use
  std::size_t parallel = 4;        // sequences decoded together (slots sharing one context)
  std::size_t context = 0;         // tokens per sequence (prompt + output); 0: the trained context
  std::size_t batch_tokens = 512;  // tokens per decode step: running sequences' next tokens + prompt chunks
  std::size_t max_queue = 64;      // requests waiting for a slot; past it 503
  /// When the model is idle, how long a newcomer waits for others to decode its prompt with: a
  /// burst then starts in one step instead of the first request alone.
  std::chrono::microseconds gather{2000};
  std::shared_ptr<LocalModelObserver> observer;
};

/// A GGUF generation model. One scheduler thread owns the llama.cpp context; each decode step
/// carries the next token of every running sequence plus chunks of waiting prompts, so requests
/// join and leave between steps. Prompts are tokenised on the compute pool; text reaches each
/// request's coroutine on its own executor. Thread-safe.
class LocalGenerator final : public Generator {
 public:
  /// Loads the model; a missing, truncated or unsupported file is an error value, with the reason.
  static core::Result<std::shared_ptr<LocalGenerator>> load(LocalGeneratorOptions options,
                                                            core::ComputePool& compute);
  ~LocalGenerator() override;

  std::string model() const override;
  ModelCard card() const override;
  /// JSON objects through a grammar; schemas and tools not yet (refused by name).
  GeneratorFeatures features(std::string_view) const override { return {.json_object = true}; }
  /// Errors: 400 prompt_too_long / invalid_grammar, 503 queue_full, 499 cancelled.
  boost::asio::awaitable<core::Result<Generation>> generate(GenerationRequest request, PieceSink on_piece) override;

  const LocalModelInfo& info() const;
  /// The prompt `messages` become: the model's own chat template (GGUF metadata), else ChatML.
  std::string apply_chat_template(const std::vector<ChatMessage>& messages) const;
  /// Tokens of `text` as a prompt (with BOS where the model adds one). CPU work: not on IO threads.
  std::size_t count_tokens(const std::string& text) const;

  struct Stats {
    std::size_t busy_sequences = 0;
    std::size_t queued = 0;
  };
  Stats stats() const;

  struct Impl;

 private:
  explicit LocalGenerator(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

struct LocalEmbedderOptions {
  std::string name;  // empty: the file name without .gguf
  std::string path;
  int threads = 0;
  std::size_t batch_tokens = 2048;  // tokens per decode; a batch larger than this takes several decodes
  bool truncate = true;             // inputs past the context are cut (true) or refused (false)
};

/// A GGUF embedding model: every input of a batch in one decode (one sequence each), pooled as
/// the model's metadata says (mean for models that name none), L2-normalised. Calls are
/// serialised on one context; run it through a Batcher with max_running 1 so texts gather.
class LocalEmbeddingModel final : public EmbeddingModel {
 public:
  static core::Result<std::shared_ptr<LocalEmbeddingModel>> load(LocalEmbedderOptions options);
  ~LocalEmbeddingModel() override;

  std::string name() const override;
  std::size_t dimension() const override;
  ModelCard card() const override;
  /// A cheap upper bound (bytes / 2 + 2) used to size batches; usage counts come from embed_batch.
  std::size_t count_tokens(std::string_view text) const override;
  std::vector<Vector> embed_batch(const std::vector<std::string>& texts) const override;
  std::vector<Vector> embed_batch_counted(const std::vector<std::string>& texts,
                                          std::vector<std::size_t>& tokens) const override;
  const LocalModelInfo& info() const;

  struct Impl;

 private:
  explicit LocalEmbeddingModel(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace sluice::ai
