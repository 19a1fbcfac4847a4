// Writes a Llama-architecture GGUF with random weights, for benchmarks where the model's compute
// must matter (stories260K is too small for that) and no download is possible. The vocabulary
// and tokenizer metadata are copied from an existing GGUF (stories260K's by default), so the
// model tokenises real text; the weights are N(0, 0.02) in F16, so its output is noise, which
// is fine for speed.
//   sluice-random-gguf OUT.gguf [--vocab-from FILE.gguf] [--dim 768] [--layers 12] [--ff 2048]
//                      [--heads 12] [--kv-heads 12] [--context 2048] [--seed 1]
// Defaults give ~88 M parameters (with stories260K's 512-token vocabulary).
#include <ggml.h>
#include <gguf.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <string>
#include <vector>

namespace {

struct Shape {
  std::int64_t dim = 768, layers = 12, ff = 2048, heads = 12, kv_heads = 12, context = 2048;
  unsigned seed = 1;
};

int fail(const std::string& why) {
  std::fprintf(stderr, "sluice-random-gguf: %s\n", why.c_str());
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) return fail("usage: sluice-random-gguf OUT.gguf [--vocab-from FILE] [--dim N] [--layers N] ...");
  std::string out = argv[1];
  std::string vocab_from = std::string(SLUICE_MODELS_DIR) + "/stories260K/stories260K.gguf";
  Shape s;
  for (int i = 2; i + 1 < argc; i += 2) {
    std::string flag = argv[i];
    const char* value = argv[i + 1];
    if (flag == "--vocab-from") vocab_from = value;
    else if (flag == "--dim") s.dim = std::atoll(value);
    else if (flag == "--layers") s.layers = std::atoll(value);
    else if (flag == "--ff") s.ff = std::atoll(value);
    else if (flag == "--heads") s.heads = std::atoll(value);
    else if (flag == "--kv-heads") s.kv_heads = std::atoll(value);
    else if (flag == "--context") s.context = std::atoll(value);
    else if (flag == "--seed") s.seed = static_cast<unsigned>(std::atoi(value));
    else return fail("unknown flag " + flag);
  }
  gguf_init_params read{.no_alloc = true, .ctx = nullptr};
  gguf_context* source = gguf_init_from_file(vocab_from.c_str(), read);
  if (!source) return fail("cannot read " + vocab_from);
  const std::int64_t tokens_key = gguf_find_key(source, "tokenizer.ggml.tokens");
  if (tokens_key < 0) return fail(vocab_from + " has no tokenizer");
  const auto vocab = static_cast<std::int64_t>(gguf_get_arr_n(source, tokens_key));

  gguf_context* gguf = gguf_init_empty();
  // Tokenizer keys only: the hyper-parameters are this model's own.
  std::vector<std::string> foreign;
  for (std::int64_t k = 0; k < gguf_get_n_kv(source); ++k)
    if (std::string key = gguf_get_key(source, k); key.rfind("tokenizer.", 0) != 0) foreign.push_back(key);
  for (const auto& key : foreign) gguf_remove_key(source, key.c_str());
  gguf_set_kv(gguf, source);
  gguf_set_val_str(gguf, "general.architecture", "llama");
  gguf_set_val_str(gguf, "general.name", "random-llama");
  gguf_set_val_u32(gguf, "llama.context_length", static_cast<std::uint32_t>(s.context));
  gguf_set_val_u32(gguf, "llama.embedding_length", static_cast<std::uint32_t>(s.dim));
  gguf_set_val_u32(gguf, "llama.block_count", static_cast<std::uint32_t>(s.layers));
  gguf_set_val_u32(gguf, "llama.feed_forward_length", static_cast<std::uint32_t>(s.ff));
  gguf_set_val_u32(gguf, "llama.rope.dimension_count", static_cast<std::uint32_t>(s.dim / s.heads));
  gguf_set_val_u32(gguf, "llama.attention.head_count", static_cast<std::uint32_t>(s.heads));
  gguf_set_val_u32(gguf, "llama.attention.head_count_kv", static_cast<std::uint32_t>(s.kv_heads));
  gguf_set_val_f32(gguf, "llama.attention.layer_norm_rms_epsilon", 1e-5f);
  gguf_set_val_u32(gguf, "general.file_type", 1);  // mostly F16

  const std::int64_t kv_dim = s.dim / s.heads * s.kv_heads;
  std::vector<std::pair<std::string, std::vector<std::int64_t>>> shapes = {
      {"token_embd.weight", {s.dim, vocab}}, {"output_norm.weight", {s.dim}}, {"output.weight", {s.dim, vocab}}};
  for (std::int64_t l = 0; l < s.layers; ++l) {
    auto name = [l](const char* what) { return "blk." + std::to_string(l) + "." + what; };
    shapes.push_back({name("attn_norm.weight"), {s.dim}});
    shapes.push_back({name("attn_q.weight"), {s.dim, s.dim}});
    shapes.push_back({name("attn_k.weight"), {s.dim, kv_dim}});
    shapes.push_back({name("attn_v.weight"), {s.dim, kv_dim}});
    shapes.push_back({name("attn_output.weight"), {s.dim, s.dim}});
    shapes.push_back({name("ffn_norm.weight"), {s.dim}});
    shapes.push_back({name("ffn_gate.weight"), {s.dim, s.ff}});
    shapes.push_back({name("ffn_down.weight"), {s.ff, s.dim}});
    shapes.push_back({name("ffn_up.weight"), {s.dim, s.ff}});
  }
  std::size_t bytes = 0;
  for (auto& [name, ne] : shapes) {
    std::size_t n = 1;
    for (auto d : ne) n *= static_cast<std::size_t>(d);
    bytes += n * 4 + 1024;
  }
  ggml_init_params params{.mem_size = bytes + shapes.size() * ggml_tensor_overhead(), .mem_buffer = nullptr,
                          .no_alloc = false};
  ggml_context* ctx = ggml_init(params);
  std::mt19937 rng(s.seed);
  std::normal_distribution<float> normal(0.0f, 0.02f);
  std::uint64_t parameters = 0;
  for (auto& [name, ne] : shapes) {
    // Norm weights are vectors of ones (F32, as converters write them); matrices random F16.
    const bool is_norm = ne.size() == 1;
    ggml_tensor* t = is_norm ? ggml_new_tensor_1d(ctx, GGML_TYPE_F32, ne[0])
                             : ggml_new_tensor_2d(ctx, GGML_TYPE_F16, ne[0], ne[1]);
    ggml_set_name(t, name.c_str());
    const auto n = ggml_nelements(t);
    parameters += static_cast<std::uint64_t>(n);
    if (is_norm) {
      for (std::int64_t i = 0; i < n; ++i) static_cast<float*>(t->data)[i] = 1.0f;
    } else {
      auto* data = static_cast<ggml_fp16_t*>(t->data);
      for (std::int64_t i = 0; i < n; ++i) data[i] = ggml_fp32_to_fp16(normal(rng));
    }
    gguf_add_tensor(gguf, t);
  }
  if (!gguf_write_to_file(gguf, out.c_str(), false)) return fail("cannot write " + out);
  std::printf("wrote %s: %llu parameters, vocabulary %lld\n", out.c_str(), static_cast<unsigned long long>(parameters),
              static_cast<long long>(vocab));
  ggml_free(ctx);
  gguf_free(gguf);
  gguf_free(source);
  return 0;
}
