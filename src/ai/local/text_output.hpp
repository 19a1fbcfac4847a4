#pragma once
// The text of one generated sequence: stop strings and what may be handed out yet.

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace sluice::ai::local {

/// Collects token pieces. Text is handed out only once it cannot be part of a stop string (a
/// tail that is a prefix of one is held back) nor split a UTF-8 character (a token may end in
/// the middle of one). Not thread-safe: owned by the scheduler thread.
class TextOutput {
 public:
  explicit TextOutput(std::vector<std::string> stops = {});

  /// Adds a piece; true when a stop string now appears, and the text is cut before it.
  bool append(std::string_view piece);
  /// Text not handed out yet that is safe to hand out; `is_final` releases everything left.
  std::string take_ready(bool is_final);
  const std::string& text() const { return text_; }

 private:
  /// Bytes at the end of text_ that must wait for more pieces.
  std::size_t held_back() const;

  std::vector<std::string> stops_;
  std::string text_;
  std::size_t handed_out_ = 0;
  std::size_t longest_stop_ = 0;
};

/// Bytes at the end of `text` that start a UTF-8 character not yet complete.
std::size_t incomplete_utf8_tail(std::string_view text);

}  // namespace sluice::ai::local
