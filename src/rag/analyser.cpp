#include "sluice/rag/analyser.hpp"

#include <libstemmer.h>

#include <algorithm>
#include <array>
#include <memory>
#include <stdexcept>

namespace sluice::rag {

namespace {

// Lucene's EnglishAnalyzer stop set: short on purpose, since BM25's idf already discounts
// common words and a long list removes words that matter in queries ("not", "no" kept out here
// as Lucene does).
constexpr std::array<std::string_view, 33> kStopWords = {
    "a",    "an",   "and",   "are",  "as",    "at",   "be",   "but",   "by",   "for",  "if",
    "in",   "into", "is",    "it",   "no",    "not",  "of",   "on",    "or",   "such", "that",
    "the",  "their", "then", "there", "these", "they", "this", "to",   "was",  "will", "with"};

struct StemmerDeleter {
  void operator()(sb_stemmer* stemmer) const { sb_stemmer_delete(stemmer); }
};

/// Snowball stemmers keep per-call state: one per thread.
sb_stemmer& thread_stemmer() {
  thread_local std::unique_ptr<sb_stemmer, StemmerDeleter> stemmer{sb_stemmer_new("english", nullptr)};
  if (!stemmer) throw std::runtime_error("Snowball English stemmer unavailable");
  return *stemmer;
}

bool is_word_byte(unsigned char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c >= 0x80; }

}  // namespace

bool is_stop_word(std::string_view word) {
  return std::find(kStopWords.begin(), kStopWords.end(), word) != kStopWords.end();
}

std::vector<std::string> analyse(std::string_view text) {
  std::vector<std::string> terms;
  auto& stemmer = thread_stemmer();
  std::string word;
  std::size_t i = 0;
  while (i < text.size()) {
    if (!is_word_byte(static_cast<unsigned char>(text[i]))) {
      ++i;
      continue;
    }
    std::size_t start = i;
    while (i < text.size() && is_word_byte(static_cast<unsigned char>(text[i]))) ++i;
    word.assign(text.substr(start, i - start));
    for (auto& c : word)
      if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    // "protein's" → "protein": the "s" after an apostrophe is the possessive, not a word.
    if (i + 1 < text.size() && (text[i] == '\'') && (text[i + 1] == 's' || text[i + 1] == 'S') &&
        (i + 2 == text.size() || !is_word_byte(static_cast<unsigned char>(text[i + 2]))))
      i += 2;
    if (is_stop_word(word)) continue;
    const auto* stem = sb_stemmer_stem(&stemmer, reinterpret_cast<const sb_symbol*>(word.data()),
                                       static_cast<int>(word.size()));
    if (!stem) throw std::bad_alloc();
    terms.emplace_back(reinterpret_cast<const char*>(stem), static_cast<std::size_t>(sb_stemmer_length(&stemmer)));
  }
  return terms;
}

}  // namespace sluice::rag
