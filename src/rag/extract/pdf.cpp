// PDF through Poppler's C++ API: each page's text in reading order, the page starts kept.
#include "document_extract.hpp"
#include "utf8.hpp"

#include <poppler/cpp/poppler-document.h>
#include <poppler/cpp/poppler-global.h>
#include <poppler/cpp/poppler-page.h>

#include <climits>
#include <memory>
#include <mutex>

namespace sluice::rag {

namespace {

/// Poppler reports every oddity of a damaged file on stderr; the upload's answer says what
/// matters, so its messages are dropped (once, for the process).
void silence_poppler() {
  static std::once_flag once;
  std::call_once(once, [] { poppler::set_debug_error_function([](const std::string&, void*) {}, nullptr); });
}

std::string utf8_of(const poppler::ustring& text) {
  auto bytes = text.to_utf8();
  std::string out;
  out.reserve(bytes.size());
  append_valid_utf8(out, std::string_view(bytes.data(), bytes.size()));
  return out;
}

bool is_blank(std::string_view text) { return text.find_first_not_of(" \t\r\n\f\v") == std::string_view::npos; }

/// Poppler's lines end in "\n" and its pages in form feeds; the chunker wants lines and a
/// blank line between pages, without trailing blanks.
void append_page(std::string& out, std::string_view page) {
  auto end = page.find_last_not_of(" \t\r\n\f\v");
  page = page.substr(0, end == std::string_view::npos ? 0 : end + 1);
  auto begin = page.find_first_not_of(" \t\r\n\f\v");
  if (begin != std::string_view::npos) page.remove_prefix(begin);
  for (char c : page) out += c == '\f' || c == '\r' ? '\n' : c;
}

}  // namespace

core::Result<ExtractedText> extract_pdf(std::string_view bytes, std::string_view file_name,
                                        const ExtractLimits& limits) {
  silence_poppler();
  if (bytes.size() > static_cast<std::size_t>(INT_MAX)) return too_large(file_name, "the file is over 2 GiB");
  // The document reads `bytes` in place (no copy): they outlive it here.
  std::unique_ptr<poppler::document> document(
      poppler::document::load_from_raw_data(bytes.data(), static_cast<int>(bytes.size())));
  if (!document) return unreadable(file_name, "Poppler cannot open it as a PDF");
  if (document->is_locked()) return unreadable(file_name, "it is encrypted with a password");
  auto pages = document->pages();
  if (pages < 0) return unreadable(file_name, "it has no page tree");
  if (static_cast<std::size_t>(pages) > limits.max_pages)
    return too_large(file_name,
                     std::to_string(pages) + " pages, more than the " + std::to_string(limits.max_pages) + " allowed");
  ExtractedText out;
  out.title = utf8_of(document->get_title());
  std::size_t characters = 0;
  for (int i = 0; i < pages; ++i) {
    std::unique_ptr<poppler::page> page(document->create_page(i));
    // non_raw_non_physical_layout is Poppler's reading order (pdftotext without -layout):
    // columns one after the other, not interleaved line by line as physical_layout gives them.
    auto text = page ? utf8_of(page->text(poppler::rectf(), poppler::page::non_raw_non_physical_layout)) : "";
    if (!out.text.empty()) {
      out.text += "\n\n";
      characters += 2;
    }
    out.page_starts.push_back(characters);
    if (is_blank(text)) {
      out.pages_without_text.push_back(static_cast<std::size_t>(i) + 1);
      continue;
    }
    auto before = out.text.size();
    append_page(out.text, text);
    characters += code_points(std::string_view(out.text).substr(before));
    if (out.text.size() > limits.max_text_bytes)
      return too_large(file_name, "its text is over " + std::to_string(limits.max_text_bytes >> 20) + " MiB");
  }
  if (out.pages_without_text.size() == static_cast<std::size_t>(pages))
    return core::Error{422, "no_text_layer",
                       std::string(file_name) + ": no text layer on any of its " + std::to_string(pages) +
                           " pages (a scanned document? run OCR on it first)",
                       boost::json::array{boost::json::object{{"type", "no_text_layer"},
                                                              {"loc", boost::json::array{"body", file_name}},
                                                              {"msg", "No page has a text layer"},
                                                              {"input", nullptr}}}};
  return out;
}

}  // namespace sluice::rag
