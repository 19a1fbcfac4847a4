#include "random_gguf.hpp"

#include <ggml.h>
#include <gguf.h>

#include <random>
#include <stdexcept>
#include <utility>
#include <vector>

namespace sluice::test {

namespace {

using Shapes = std::vector<std::pair<std::string, std::vector<std::int64_t>>>;

std::string block(std::int64_t l, const char* what) { return "blk." + std::to_string(l) + "." + what; }

/// llama.cpp's tensor names and shapes (ggml order: fastest dimension first) for a Llama decoder.
Shapes llama_tensors(const RandomModelShape& s, std::int64_t vocab) {
  const std::int64_t kv_dim = s.dim / s.heads * s.kv_heads;
  Shapes out = {{"token_embd.weight", {s.dim, vocab}}, {"output_norm.weight", {s.dim}}, {"output.weight", {s.dim, vocab}}};
  for (std::int64_t l = 0; l < s.layers; ++l) {
    out.push_back({block(l, "attn_norm.weight"), {s.dim}});
    out.push_back({block(l, "attn_q.weight"), {s.dim, s.dim}});
    out.push_back({block(l, "attn_k.weight"), {s.dim, kv_dim}});
    out.push_back({block(l, "attn_v.weight"), {s.dim, kv_dim}});
    out.push_back({block(l, "attn_output.weight"), {s.dim, s.dim}});
    out.push_back({block(l, "ffn_norm.weight"), {s.dim}});
    out.push_back({block(l, "ffn_gate.weight"), {s.dim, s.ff}});
    out.push_back({block(l, "ffn_down.weight"), {s.ff, s.dim}});
    out.push_back({block(l, "ffn_up.weight"), {s.dim, s.ff}});
  }
  return out;
}

/// The same for a BERT encoder (biases and layer norms with biases, learned positions).
Shapes bert_tensors(const RandomModelShape& s, std::int64_t vocab) {
  Shapes out = {{"token_embd.weight", {s.dim, vocab}},     {"token_types.weight", {s.dim, 2}},
                {"position_embd.weight", {s.dim, s.context}}, {"token_embd_norm.weight", {s.dim}},
                {"token_embd_norm.bias", {s.dim}}};
  for (std::int64_t l = 0; l < s.layers; ++l) {
    for (const char* m : {"attn_q", "attn_k", "attn_v", "attn_output"}) {
      out.push_back({block(l, (std::string(m) + ".weight").c_str()), {s.dim, s.dim}});
      out.push_back({block(l, (std::string(m) + ".bias").c_str()), {s.dim}});
    }
    out.push_back({block(l, "attn_output_norm.weight"), {s.dim}});
    out.push_back({block(l, "attn_output_norm.bias"), {s.dim}});
    out.push_back({block(l, "ffn_up.weight"), {s.dim, s.ff}});
    out.push_back({block(l, "ffn_up.bias"), {s.ff}});
    out.push_back({block(l, "ffn_down.weight"), {s.ff, s.dim}});
    out.push_back({block(l, "ffn_down.bias"), {s.dim}});
    out.push_back({block(l, "layer_output_norm.weight"), {s.dim}});
    out.push_back({block(l, "layer_output_norm.bias"), {s.dim}});
  }
  return out;
}

void set_hparams(gguf_context* gguf, const RandomModelShape& s) {
  const std::string a = s.architecture;
  gguf_set_val_str(gguf, "general.architecture", a.c_str());
  gguf_set_val_str(gguf, "general.name", ("random-" + a).c_str());
  gguf_set_val_u32(gguf, "general.file_type", 1);  // mostly F16
  gguf_set_val_u32(gguf, (a + ".context_length").c_str(), static_cast<std::uint32_t>(s.context));
  gguf_set_val_u32(gguf, (a + ".embedding_length").c_str(), static_cast<std::uint32_t>(s.dim));
  gguf_set_val_u32(gguf, (a + ".block_count").c_str(), static_cast<std::uint32_t>(s.layers));
  gguf_set_val_u32(gguf, (a + ".feed_forward_length").c_str(), static_cast<std::uint32_t>(s.ff));
  gguf_set_val_u32(gguf, (a + ".attention.head_count").c_str(), static_cast<std::uint32_t>(s.heads));
  if (a == "bert") {
    gguf_set_val_f32(gguf, "bert.attention.layer_norm_epsilon", 1e-12f);
    gguf_set_val_bool(gguf, "bert.attention.causal", false);
    gguf_set_val_u32(gguf, "bert.pooling_type", 1);  // mean
  } else {
    gguf_set_val_u32(gguf, "llama.attention.head_count_kv", static_cast<std::uint32_t>(s.kv_heads));
    gguf_set_val_u32(gguf, "llama.rope.dimension_count", static_cast<std::uint32_t>(s.dim / s.heads));
    gguf_set_val_f32(gguf, "llama.attention.layer_norm_rms_epsilon", 1e-5f);
  }
}

}  // namespace

std::uint64_t write_random_gguf(const std::string& path, const RandomModelShape& s, const std::string& vocab_from) {
  gguf_init_params read{.no_alloc = true, .ctx = nullptr};
  gguf_context* source = gguf_init_from_file(vocab_from.c_str(), read);
  if (!source) throw std::runtime_error("cannot read " + vocab_from);
  const std::int64_t tokens_key = gguf_find_key(source, "tokenizer.ggml.tokens");
  if (tokens_key < 0) throw std::runtime_error(vocab_from + " has no tokenizer");
  const auto vocab = static_cast<std::int64_t>(gguf_get_arr_n(source, tokens_key));
  // Only the tokenizer travels: the hyper-parameters are this model's own.
  std::vector<std::string> foreign;
  for (std::int64_t k = 0; k < gguf_get_n_kv(source); ++k)
    if (std::string key = gguf_get_key(source, k); key.rfind("tokenizer.", 0) != 0) foreign.push_back(key);
  for (const auto& key : foreign) gguf_remove_key(source, key.c_str());
  gguf_context* gguf = gguf_init_empty();
  gguf_set_kv(gguf, source);
  gguf_free(source);
  set_hparams(gguf, s);

  const Shapes shapes = s.architecture == "bert" ? bert_tensors(s, vocab) : llama_tensors(s, vocab);
  std::size_t bytes = 0;
  for (const auto& [name, ne] : shapes) {
    std::size_t n = 1;
    for (auto d : ne) n *= static_cast<std::size_t>(d);
    bytes += n * 4 + 64;
  }
  ggml_init_params params{.mem_size = bytes + shapes.size() * ggml_tensor_overhead(), .mem_buffer = nullptr,
                          .no_alloc = false};
  ggml_context* ctx = ggml_init(params);
  std::mt19937 rng(s.seed);
  std::normal_distribution<float> normal(0.0f, 0.02f);
  std::uint64_t parameters = 0;
  for (const auto& [name, ne] : shapes) {
    // Vectors (norms, biases) F32 as converters write them: norm weights 1, biases 0; matrices F16
    // noise. BERT's token-type table is F32 noise: llama.cpp adds its first row to the embeddings
    // directly, and its CPU add takes no F16 operand.
    const bool is_vector = ne.size() == 1;
    const bool is_f32_matrix = name == "token_types.weight";
    ggml_tensor* t = is_vector ? ggml_new_tensor_1d(ctx, GGML_TYPE_F32, ne[0])
                               : ggml_new_tensor_2d(ctx, is_f32_matrix ? GGML_TYPE_F32 : GGML_TYPE_F16, ne[0], ne[1]);
    ggml_set_name(t, name.c_str());
    const auto n = ggml_nelements(t);
    parameters += static_cast<std::uint64_t>(n);
    if (is_vector) {
      const float fill = name.find("norm.weight") != std::string::npos ? 1.0f : 0.0f;
      for (std::int64_t i = 0; i < n; ++i) static_cast<float*>(t->data)[i] = fill;
    } else if (is_f32_matrix) {
      for (std::int64_t i = 0; i < n; ++i) static_cast<float*>(t->data)[i] = normal(rng);
    } else {
      auto* data = static_cast<ggml_fp16_t*>(t->data);
      for (std::int64_t i = 0; i < n; ++i) data[i] = ggml_fp32_to_fp16(normal(rng));
    }
    gguf_add_tensor(gguf, t);
  }
  const bool is_written = gguf_write_to_file(gguf, path.c_str(), false);
  ggml_free(ctx);
  gguf_free(gguf);
  if (!is_written) throw std::runtime_error("cannot write " + path);
  return parameters;
}

}  // namespace sluice::test
