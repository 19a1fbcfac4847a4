#include "llama_model.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <filesystem>
#include <fstream>
#include <mutex>

namespace sluice::ai::local {

namespace {

// llama.cpp logs through one global callback. Loading is rare and serialised (load_mutex), so
// the lines it logs while a model loads are collected to explain a refusal; everything else
// goes to spdlog at debug level (llama.cpp is chatty).
std::mutex load_mutex;
std::mutex log_mutex;
std::string* load_log = nullptr;  // guarded by log_mutex

void on_llama_log(ggml_log_level level, const char* text, void*) {
  std::string_view line(text);
  {
    std::lock_guard lock(log_mutex);
    if (load_log && (level == GGML_LOG_LEVEL_ERROR || level == GGML_LOG_LEVEL_WARN)) load_log->append(line);
  }
  while (!line.empty() && line.back() == '\n') line.remove_suffix(1);
  if (line.empty()) return;
  if (level == GGML_LOG_LEVEL_ERROR)
    spdlog::warn("llama.cpp: {}", line);
  else
    spdlog::debug("llama.cpp: {}", line);
}

void init_backend() {
  static std::once_flag once;
  std::call_once(once, [] {
    llama_log_set(on_llama_log, nullptr);
    llama_backend_init();
  });
}

core::Error refuse(const std::string& path, std::string why) {
  return core::Error{400, "model_load_failed", fmt::format("cannot load model '{}': {}", path, why), nullptr};
}

/// Why llama.cpp refused a file: its "error loading model: ..." line (later lines only say that
/// loading failed), else the last error line it logged, trimmed.
std::string last_reason(const std::string& log) {
  constexpr std::string_view marker = "error loading model: ";
  if (auto at = log.rfind(marker); at != std::string::npos) {
    auto reason = log.substr(at + marker.size());
    return reason.substr(0, reason.find('\n'));
  }
  std::string_view view(log);
  while (!view.empty() && (view.back() == '\n' || view.back() == ' ')) view.remove_suffix(1);
  auto newline = view.rfind('\n');
  if (newline != std::string_view::npos) view.remove_prefix(newline + 1);
  return std::string(view);
}

}  // namespace

core::Result<std::shared_ptr<LoadedModel>> load_model(const std::string& name, const std::string& path) {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (!fs::is_regular_file(path, ec)) return refuse(path, "no such file");
  const auto size = fs::file_size(path, ec);
  char magic[4] = {};
  std::ifstream in(path, std::ios::binary);
  if (!in || !in.read(magic, 4)) return refuse(path, "the file cannot be read or is shorter than a GGUF header");
  if (std::string_view(magic, 4) != "GGUF") return refuse(path, "not a GGUF file (wrong magic bytes)");

  init_backend();
  std::lock_guard serial(load_mutex);
  std::string log;
  {
    std::lock_guard lock(log_mutex);
    load_log = &log;
  }
  auto params = llama_model_default_params();
  params.n_gpu_layers = 0;
  ModelPtr model(llama_model_load_from_file(path.c_str(), params));
  {
    std::lock_guard lock(log_mutex);
    load_log = nullptr;
  }
  if (!model) {
    auto reason = last_reason(log);
    return refuse(path, reason.empty() ? std::string("llama.cpp refused it") : reason);
  }
  auto out = std::make_shared<LoadedModel>();
  out->vocab = llama_model_get_vocab(model.get());
  auto& info = out->info;
  info.name = name.empty() ? fs::path(path).stem().string() : name;
  info.path = path;
  info.architecture = meta_string(model.get(), "general.architecture");
  info.context_length = static_cast<std::size_t>(std::max(0, llama_model_n_ctx_train(model.get())));
  info.parameters = llama_model_n_params(model.get());
  info.embedding_length = static_cast<std::size_t>(std::max(0, llama_model_n_embd(model.get())));
  out->model = std::move(model);
  spdlog::info("loaded model '{}' from {} ({} bytes): {} architecture, {} parameters, context {}", info.name, path,
               size, info.architecture, info.parameters, info.context_length);
  return out;
}

std::vector<llama_token> tokenize(const llama_vocab* vocab, std::string_view text, bool add_special) {
  std::vector<llama_token> tokens(text.size() + 8);
  int n = llama_tokenize(vocab, text.data(), static_cast<int32_t>(text.size()), tokens.data(),
                         static_cast<int32_t>(tokens.size()), add_special, /*parse_special=*/false);
  if (n < 0) {
    tokens.resize(static_cast<std::size_t>(-n));
    n = llama_tokenize(vocab, text.data(), static_cast<int32_t>(text.size()), tokens.data(),
                       static_cast<int32_t>(tokens.size()), add_special, false);
  }
  tokens.resize(static_cast<std::size_t>(std::max(0, n)));
  return tokens;
}

std::string token_piece(const llama_vocab* vocab, llama_token token) {
  char buffer[64];
  int n = llama_token_to_piece(vocab, token, buffer, sizeof buffer, 0, /*special=*/false);
  if (n >= 0) return std::string(buffer, static_cast<std::size_t>(n));
  std::string out(static_cast<std::size_t>(-n), '\0');
  n = llama_token_to_piece(vocab, token, out.data(), static_cast<int32_t>(out.size()), 0, false);
  out.resize(static_cast<std::size_t>(std::max(0, n)));
  return out;
}

std::string meta_string(const llama_model* model, const std::string& key) {
  char buffer[256];
  int n = llama_model_meta_val_str(model, key.c_str(), buffer, sizeof buffer);
  if (n < 0) return {};
  if (static_cast<std::size_t>(n) < sizeof buffer) return std::string(buffer, static_cast<std::size_t>(n));
  std::string out(static_cast<std::size_t>(n) + 1, '\0');
  llama_model_meta_val_str(model, key.c_str(), out.data(), out.size());
  out.resize(static_cast<std::size_t>(n));
  return out;
}

}  // namespace sluice::ai::local
