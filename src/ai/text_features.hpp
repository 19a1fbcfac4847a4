#pragma once
// Word splitting shared by the built-in embedder and the extractive generator.

#include <string>
#include <string_view>
#include <vector>

namespace sluice::ai::detail {

/// Lower-cased runs of letters and digits; bytes ≥ 0x80 count as letters, so UTF-8 words stay
/// whole (they are not case-folded).
std::vector<std::string> words(std::string_view text);

/// How many words `text` has (as words(text).size(), without building them).
std::size_t count_words(std::string_view text);

/// English function words that carry little meaning on their own ("the", "is", ...).
bool is_stopword(std::string_view word);

}  // namespace sluice::ai::detail
