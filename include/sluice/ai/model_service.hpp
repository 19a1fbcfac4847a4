#pragma once
// The model behind the article's endpoints.

#include <memory>
#include <string>
#include <string_view>

namespace sluice::ai {

/// Text in, text out. Implementations are CPU work: call them through the compute pool.
/// Must be safe to call from several compute threads at once.
class ModelService {
 public:
  virtual ~ModelService() = default;
  virtual std::string name() const = 0;
  /// Answers `prompt`, using `context` (retrieved passages; may be empty).
  virtual std::string generate(std::string_view prompt, std::string_view context) const = 0;
};

/// The built-in model: needs no weights, deterministic. With context it is extractive: it
/// answers with the context sentence sharing the most words with the prompt (ties: the
/// earliest). Without context, or when no sentence shares a word, it answers with the prompt's
/// words in reverse order (the article's placeholder model reversed the prompt).
class BuiltinModel final : public ModelService {
 public:
  std::string name() const override { return "sluice-builtin"; }
  std::string generate(std::string_view prompt, std::string_view context) const override;
};

}  // namespace sluice::ai
