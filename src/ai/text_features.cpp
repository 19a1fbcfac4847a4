#include "text_features.hpp"

#include <algorithm>
#include <array>

namespace sluice::ai::detail {

namespace {

/// A word's bytes: ASCII letters and digits, and every byte ≥ 0x80 (UTF-8 stays whole). A table
/// and not std::isalnum: these run over every text the built-in models see, a locale call a byte.
constexpr std::array<bool, 256> kWordBytes = [] {
  std::array<bool, 256> table{};
  for (int c = 0; c < 256; ++c)
    table[c] = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c >= 0x80;
  return table;
}();

bool is_word_byte(char c) { return kWordBytes[static_cast<unsigned char>(c)]; }

/// Calls `on_word(begin, end)` for each run of word bytes.
template <class OnWord>
void each_word(std::string_view text, OnWord on_word) {
  std::size_t i = 0;
  while (i < text.size()) {
    while (i < text.size() && !is_word_byte(text[i])) ++i;
    std::size_t start = i;
    while (i < text.size() && is_word_byte(text[i])) ++i;
    if (i > start) on_word(start, i);
  }
}

}  // namespace

std::vector<std::string> words(std::string_view text) {
  std::vector<std::string> out;
  each_word(text, [&](std::size_t start, std::size_t end) {
    std::string& word = out.emplace_back(text.substr(start, end - start));
    for (char& c : word)
      if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  });
  return out;
}

std::size_t count_words(std::string_view text) {
  std::size_t n = 0;
  each_word(text, [&](std::size_t, std::size_t) { ++n; });
  return n;
}

bool is_stopword(std::string_view word) {
  // Sorted, for binary search.
  static constexpr std::array<std::string_view, 48> list{
      "a",   "about", "an",   "and",  "are",  "as",    "at",    "be",    "by",    "can",   "do",   "does",
      "for", "from",  "has",  "have", "how",  "i",     "in",    "is",    "it",    "its",   "me",   "my",
      "of",  "on",    "or",   "our",  "so",   "that",  "the",   "their", "there", "these", "this", "to",
      "was", "we",    "were", "what", "when", "where", "which", "who",   "why",   "will",  "with", "you"};
  return std::binary_search(list.begin(), list.end(), word);
}

}  // namespace sluice::ai::detail
