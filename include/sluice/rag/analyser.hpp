#pragma once
// The English analyser of the keyword index: text → index terms.

#include <string>
#include <string_view>
#include <vector>

namespace sluice::rag {

/// Splits `text` into runs of letters and digits (bytes ≥ 0x80 count as letters, so UTF-8 words
/// stay whole), lower-cases ASCII, drops the possessive "'s", drops English stop words (Lucene's
/// English list) and stems each word with Snowball's English stemmer (Porter 2). Thread-safe:
/// each thread has its own stemmer.
std::vector<std::string> analyse(std::string_view text);

/// Whether `word` (lower-case) is one of the stop words analyse() drops.
bool is_stop_word(std::string_view word);

}  // namespace sluice::rag
