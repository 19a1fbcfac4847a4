#pragma once
// Loading a GGUF file with llama.cpp, and the little helpers every llama.cpp user needs.
// Private to sluice_ai_local: the only headers that include llama.h live in src/ai/local/.

#include "sluice/ai/local_model.hpp"
#include "sluice/core/error.hpp"

#include <llama.h>

#include <memory>
#include <string>
#include <vector>

namespace sluice::ai::local {

struct ModelDeleter {
  void operator()(llama_model* m) const { llama_model_free(m); }
};
struct ContextDeleter {
  void operator()(llama_context* c) const { llama_free(c); }
};
struct SamplerDeleter {
  void operator()(llama_sampler* s) const { llama_sampler_free(s); }
};
using ModelPtr = std::unique_ptr<llama_model, ModelDeleter>;
using ContextPtr = std::unique_ptr<llama_context, ContextDeleter>;
using SamplerPtr = std::unique_ptr<llama_sampler, SamplerDeleter>;

/// A loaded model and what /v1/models reports about it. Read-only after loading, so the vocabulary
/// may be used (tokenising) from any thread while one thread decodes.
struct LoadedModel {
  ModelPtr model;
  const llama_vocab* vocab = nullptr;
  LocalModelInfo info;
};

/// Checks the file (exists, GGUF magic) and loads it on the CPU. Errors say why, with llama.cpp's
/// own reason when it refuses (truncated file, unknown architecture).
core::Result<std::shared_ptr<LoadedModel>> load_model(const std::string& name, const std::string& path);

/// `text` as tokens; `add_special` adds BOS/EOS where the model wants them.
std::vector<llama_token> tokenize(const llama_vocab* vocab, std::string_view text, bool add_special);
/// The text of one token (special tokens such as </s> render as nothing).
std::string token_piece(const llama_vocab* vocab, llama_token token);
/// The string value of GGUF metadata `key`, or empty.
std::string meta_string(const llama_model* model, const std::string& key);

}  // namespace sluice::ai::local
