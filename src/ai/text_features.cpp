#include "text_features.hpp"

#include <algorithm>
#include <array>
#include <cctype>

namespace sluice::ai::detail {

std::vector<std::string> words(std::string_view text) {
  std::vector<std::string> out;
  std::string current;
  for (char c : text) {
    auto byte = static_cast<unsigned char>(c);
    if (std::isalnum(byte) || byte >= 0x80) {
      current += static_cast<char>(byte < 0x80 ? std::tolower(byte) : byte);
    } else if (!current.empty()) {
      out.push_back(std::move(current));
      current.clear();
    }
  }
  if (!current.empty()) out.push_back(std::move(current));
  return out;
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
