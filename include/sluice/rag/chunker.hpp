#pragma once
// Splitting documents into chunks for retrieval, and turning HTML and Markdown into text.

#include "sluice/rag/dataset_store.hpp"

#include <cstddef>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace sluice::rag {

struct ChunkerOptions {
  std::size_t size = 256;    // tokens per chunk at most (a single longer word is cut)
  std::size_t overlap = 32;  // tokens of the previous chunk's end repeated, in whole sentences
};

/// Tokens of a piece of text, as the embedder counts them.
using TokenCounter = std::function<std::size_t(std::string_view)>;

/// Splits `text` into chunks of at most `options.size` tokens. Cuts prefer, in order, a
/// paragraph end (blank line), a sentence end (. ! ? or a line break) and a space; only a word
/// longer than a chunk is cut inside, and then at a UTF-8 character boundary. Each chunk is a
/// whitespace-trimmed slice of `text` with its [start, end) in characters (code points). The next
/// chunk starts with whole sentences of the previous one, up to `options.overlap` tokens. Text
/// that is empty or blank gives one empty chunk (so a titled document stays findable).
std::vector<ChunkDraft> chunk_text(std::string_view text, const ChunkerOptions& options, const TokenCounter& count);

/// Words as the built-in embedder counts them (runs of letters and digits).
std::size_t count_words(std::string_view text);

/// Readable text of an HTML document: tags dropped (script, style, head and template with their
/// content), block elements as line breaks (paragraphs as blank lines), entities decoded.
/// `title` receives the <title> when there is one.
std::string html_to_text(std::string_view html, std::string* title = nullptr);

/// Markdown to plain text: headings, emphasis, code fences, link and image syntax removed,
/// their text kept; paragraphs stay separated by blank lines. `title` receives the first heading.
std::string markdown_to_text(std::string_view markdown, std::string* title = nullptr);

}  // namespace sluice::rag
