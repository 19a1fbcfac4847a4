#include "sluice/rag/chunker.hpp"

#include <algorithm>

namespace sluice::rag {

namespace {

/// How strong a cut at the end of a unit is.
enum class Break { word = 0, sentence = 1, paragraph = 2 };

struct Unit {
  std::size_t begin = 0, end = 0;  // bytes; units tile the text
  std::size_t tokens = 0;
  Break after = Break::word;
};

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'; }
bool is_continuation(char c) { return (static_cast<unsigned char>(c) & 0xC0) == 0x80; }

/// Sentence-sized pieces: each ends after . ! ? or a line break plus the whitespace that follows;
/// the whitespace says whether a paragraph ends there.
std::vector<Unit> sentences(std::string_view text) {
  std::vector<Unit> units;
  std::size_t begin = 0, i = 0;
  while (i < text.size()) {
    char c = text[i];
    bool ends = c == '\n' || ((c == '.' || c == '!' || c == '?') && (i + 1 == text.size() || is_space(text[i + 1])));
    ++i;
    if (!ends) continue;
    std::size_t newlines = c == '\n' ? 1 : 0;
    while (i < text.size() && is_space(text[i])) newlines += text[i++] == '\n';
    units.push_back({begin, i, 0, newlines >= 2 ? Break::paragraph : Break::sentence});
    begin = i;
  }
  if (begin < text.size()) units.push_back({begin, text.size(), 0, Break::paragraph});
  if (!units.empty()) units.back().after = Break::paragraph;
  return units;
}

/// A unit too long for one chunk, cut at spaces into pieces of at most `size` tokens; a word
/// longer than that is cut at character boundaries.
void split_long(std::string_view text, const Unit& unit, std::size_t size, const TokenCounter& count,
                std::vector<Unit>& out) {
  std::size_t i = unit.begin;
  while (i < unit.end) {
    std::size_t word_end = i;
    while (word_end < unit.end && !is_space(text[word_end])) ++word_end;
    while (word_end < unit.end && is_space(text[word_end])) ++word_end;
    auto tokens = count(text.substr(i, word_end - i));
    if (tokens > size) {
      // Cut the word into pieces whose byte length is proportional to the token budget.
      std::size_t step = std::max<std::size_t>(1, (word_end - i) * size / tokens);
      for (std::size_t piece = i; piece < word_end;) {
        std::size_t cut = std::min(word_end, piece + step);
        while (cut < word_end && is_continuation(text[cut])) ++cut;  // never inside a UTF-8 sequence
        out.push_back({piece, cut, count(text.substr(piece, cut - piece)), Break::word});
        piece = cut;
      }
    } else {
      out.push_back({i, word_end, tokens, Break::word});
    }
    i = word_end;
  }
  out.back().after = unit.after;
}

std::size_t code_points(std::string_view bytes) {
  return static_cast<std::size_t>(std::count_if(bytes.begin(), bytes.end(), [](char c) { return !is_continuation(c); }));
}

}  // namespace

std::size_t count_words(std::string_view text) {
  std::size_t words = 0;
  bool in_word = false;
  for (unsigned char c : text) {
    bool is_word = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c >= 0x80;
    if (is_word && !in_word) ++words;
    in_word = is_word;
  }
  return words;
}

std::vector<ChunkDraft> chunk_text(std::string_view text, const ChunkerOptions& options, const TokenCounter& count) {
  const std::size_t size = std::max<std::size_t>(1, options.size);
  std::vector<Unit> units;
  for (auto& unit : sentences(text)) {
    unit.tokens = count(text.substr(unit.begin, unit.end - unit.begin));
    if (unit.tokens > size) split_long(text, unit, size, count, units);
    else units.push_back(unit);
  }
  std::vector<ChunkDraft> chunks;
  std::size_t start = 0;
  // Characters before units[start].begin, carried forward so offsets cost one pass overall.
  std::size_t chars_before = 0, chars_at = 0;
  while (start < units.size()) {
    // Take units while they fit, then cut at the strongest boundary that keeps the chunk at
    // least half full.
    std::size_t end = start, tokens = 0;
    while (end < units.size() && (end == start || tokens + units[end].tokens <= size)) tokens += units[end++].tokens;
    if (end < units.size()) {
      std::size_t best = end, best_strength = 0, running = 0;
      for (std::size_t j = start; j < end; ++j) {
        running += units[j].tokens;
        auto strength = static_cast<std::size_t>(units[j].after);
        if (running * 2 >= tokens && strength >= best_strength) {
          best = j + 1;
          best_strength = strength;
        }
      }
      end = best;
    }
    auto begin_byte = units[start].begin, end_byte = units[end - 1].end;
    while (begin_byte < end_byte && is_space(text[begin_byte])) ++begin_byte;
    while (end_byte > begin_byte && is_space(text[end_byte - 1])) --end_byte;
    if (begin_byte < end_byte) {
      chars_before += code_points(text.substr(chars_at, begin_byte - chars_at));
      chars_at = begin_byte;
      auto piece = text.substr(begin_byte, end_byte - begin_byte);
      chunks.push_back({chars_before, chars_before + code_points(piece), std::string(piece)});
    }
    if (end >= units.size()) break;
    // Overlap: whole units from the end of this chunk, up to options.overlap tokens, while the
    // next chunk still starts later than this one.
    std::size_t next = end, carried = 0;
    while (next > start + 1 && carried + units[next - 1].tokens <= options.overlap) carried += units[--next].tokens;
    start = next;
  }
  if (chunks.empty()) chunks.push_back({0, 0, {}});
  return chunks;
}

}  // namespace sluice::rag
