// libFuzzer target for the files a dataset upload extracts: PDF through Poppler, DOCX, ODT and
// EPUB through libzip and libxml2. The first byte picks the format; the rest is the file.
// Whatever the bytes, extraction ends in text or an error (413/422), never a crash or a read
// past the input; the text is valid UTF-8 and the page starts rise within it.
#include "extract/document_extract.hpp"
#include "extract/utf8.hpp"

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace {

bool is_valid_utf8(std::string_view text) {
  std::string repaired;
  sluice::rag::append_valid_utf8(repaired, text);
  return repaired == text;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using sluice::rag::FileFormat;
  if (size == 0) return 0;
  constexpr FileFormat formats[] = {FileFormat::pdf, FileFormat::docx, FileFormat::odt, FileFormat::epub};
  const auto format = formats[data[0] % std::size(formats)];
  std::string_view bytes(reinterpret_cast<const char*>(data) + 1, size - 1);
  // Smaller bounds than the server's, so that an input that expands does so quickly.
  sluice::rag::ExtractLimits limits{.max_pages = 64, .max_member_bytes = 4u << 20, .max_text_bytes = 4u << 20};
  auto extracted = sluice::rag::extract_text(format, bytes, "fuzz.file", limits);
  if (!extracted) {
    auto status = extracted.error().status;
    if (status != 413 && status != 422) __builtin_trap();
    return 0;
  }
  if (!is_valid_utf8(extracted->text) || !is_valid_utf8(extracted->title)) __builtin_trap();
  if (extracted->text.size() > limits.max_text_bytes || extracted->page_starts.size() > limits.max_pages)
    __builtin_trap();
  auto characters = sluice::rag::code_points(extracted->text);
  for (std::size_t i = 0; i < extracted->page_starts.size(); ++i)
    if (extracted->page_starts[i] > characters || (i > 0 && extracted->page_starts[i] < extracted->page_starts[i - 1]))
      __builtin_trap();
  return 0;
}
