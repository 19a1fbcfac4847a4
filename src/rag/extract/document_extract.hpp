#pragma once
// Text out of PDF, DOCX, ODT and EPUB files, within bounds, for the upload parser. A file that
// cannot be read is an error naming it (422), one past a bound an error naming it (413); the
// machine's memory is never the bound.

#include "sluice/core/error.hpp"

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace sluice::rag {

enum class FileFormat { pdf, docx, odt, epub };

/// The format a file is in: its Content-Type when that names one, else its file name's
/// extension (for application/octet-stream, a missing type, or a multipart part without one).
std::optional<FileFormat> file_format(std::string_view content_type, std::string_view file_name);

/// The bounds every extraction keeps.
struct ExtractLimits {
  std::size_t max_pages = 2000;              // PDF pages
  std::size_t max_member_bytes = 64u << 20;  // a zip member decompressed: declared and as read
  std::size_t max_text_bytes = 64u << 20;    // the text extracted from one file
};

/// What a file says: its text (paragraphs set off by blank lines, headings as "# Heading"
/// lines), its title when it has one, and for a PDF where each page starts.
struct ExtractedText {
  std::string title;
  std::string text;
  /// Character (code point) offsets in `text` where page 1, 2, ... start: the units of a
  /// chunk's start and end, so that a chunk's pages can be looked up. Empty for flowing text.
  std::vector<std::size_t> page_starts;
  std::vector<std::size_t> pages_without_text;  // 1-based: scanned pages with no text layer
};

/// Extracts `bytes`, a file named `file_name` (for the error messages). CPU work: run it on
/// the compute pool. Errors: 413 `document_too_large` past a bound, 422 `document_unreadable`
/// when the file is not what it says, 422 `no_text_layer` for a PDF none of whose pages has
/// text. Never throws for bad input.
core::Result<ExtractedText> extract_text(FileFormat format, std::string_view bytes, std::string_view file_name,
                                         const ExtractLimits& limits = {});

core::Result<ExtractedText> extract_pdf(std::string_view bytes, std::string_view file_name,
                                        const ExtractLimits& limits);
core::Result<ExtractedText> extract_docx(std::string_view bytes, std::string_view file_name,
                                         const ExtractLimits& limits);
core::Result<ExtractedText> extract_odt(std::string_view bytes, std::string_view file_name,
                                        const ExtractLimits& limits);
core::Result<ExtractedText> extract_epub(std::string_view bytes, std::string_view file_name,
                                         const ExtractLimits& limits);

/// The pages [first, last] (1-based) that characters [start, end) of a text with these page
/// starts lie on; nullopt without page starts.
struct PageRange {
  std::size_t first = 0, last = 0;
};
std::optional<PageRange> pages_of(const std::vector<std::size_t>& page_starts, std::size_t start, std::size_t end);

/// The errors, one shape for every format.
core::Error too_large(std::string_view file_name, std::string_view what);
core::Error unreadable(std::string_view file_name, std::string_view why);

}  // namespace sluice::rag
