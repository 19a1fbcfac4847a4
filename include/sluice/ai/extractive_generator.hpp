#pragma once
// The built-in generator: no weights, deterministic, extractive.

#include "sluice/ai/generator.hpp"
#include "sluice/core/compute_pool.hpp"

#include <string>
#include <vector>

namespace sluice::ai {

/// Answers from the context it is given; it writes nothing new. The question is the last user
/// message (or the prompt); the context is `request.context` plus every other message. Each
/// context sentence is scored by the distinct non-stopword question words it contains; the
/// best sentences (up to three, scoring at least two thirds of the best) are answered in their original
/// order. With no context, or no sentence sharing a word, it answers the question's words in
/// reverse order (the article's placeholder model reversed the prompt). Streams word by word;
/// honours max_tokens (a token is a word) and stop; other sampling parameters have no effect.
class ExtractiveGenerator final : public Generator {
 public:
  explicit ExtractiveGenerator(core::ComputePool& compute, std::string name = "sluice-extractive")
      : compute_(compute), name_(std::move(name)) {}
  std::string model() const override { return name_; }
  boost::asio::awaitable<core::Result<Generation>> generate(GenerationRequest request, PieceSink on_piece) override;

  /// The CPU part: the whole answer, before max_tokens and stop are applied.
  static std::string answer(const GenerationRequest& request);

 private:
  core::ComputePool& compute_;
  std::string name_;
};

/// `text` split into pieces that concatenate back to it: each word with the spaces before it.
std::vector<std::string> split_pieces(std::string_view text);

}  // namespace sluice::ai
