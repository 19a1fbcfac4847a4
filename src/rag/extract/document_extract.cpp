#include "document_extract.hpp"

#include <algorithm>
#include <cctype>

namespace sluice::rag {

namespace {

std::string lower(std::string_view text) {
  std::string out(text);
  for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

boost::json::value issue(std::string_view type, std::string_view file_name, const std::string& message) {
  return boost::json::array{boost::json::object{
      {"type", type}, {"loc", boost::json::array{"body", file_name}}, {"msg", message}, {"input", nullptr}}};
}

}  // namespace

std::optional<FileFormat> file_format(std::string_view content_type, std::string_view file_name) {
  auto type = lower(content_type.substr(0, content_type.find(';')));
  while (!type.empty() && type.back() == ' ') type.pop_back();
  if (type == "application/pdf") return FileFormat::pdf;
  if (type == "application/vnd.openxmlformats-officedocument.wordprocessingml.document") return FileFormat::docx;
  if (type == "application/vnd.oasis.opendocument.text") return FileFormat::odt;
  if (type == "application/epub+zip") return FileFormat::epub;
  // Browsers and curl send what they know of a type, often nothing specific: then the name decides.
  if (!type.empty() && type != "application/octet-stream" && type != "binary/octet-stream") return std::nullopt;
  auto dot = file_name.rfind('.');
  if (dot == std::string_view::npos) return std::nullopt;
  auto extension = lower(file_name.substr(dot + 1));
  if (extension == "pdf") return FileFormat::pdf;
  if (extension == "docx") return FileFormat::docx;
  if (extension == "odt") return FileFormat::odt;
  if (extension == "epub") return FileFormat::epub;
  return std::nullopt;
}

core::Result<ExtractedText> extract_text(FileFormat format, std::string_view bytes, std::string_view file_name,
                                         const ExtractLimits& limits) {
  switch (format) {
    case FileFormat::pdf:
      return extract_pdf(bytes, file_name, limits);
    case FileFormat::docx:
      return extract_docx(bytes, file_name, limits);
    case FileFormat::odt:
      return extract_odt(bytes, file_name, limits);
    case FileFormat::epub:
      return extract_epub(bytes, file_name, limits);
  }
  return unreadable(file_name, "its format is unknown");
}

std::optional<PageRange> pages_of(const std::vector<std::size_t>& page_starts, std::size_t start, std::size_t end) {
  if (page_starts.empty()) return std::nullopt;
  // The page of a character is the last page starting at or before it.
  auto page_at = [&](std::size_t offset) {
    auto after = std::upper_bound(page_starts.begin(), page_starts.end(), offset);
    return static_cast<std::size_t>(std::max<std::ptrdiff_t>(1, after - page_starts.begin()));
  };
  auto first = page_at(start);
  return PageRange{first, std::max(first, page_at(end > start ? end - 1 : start))};
}

core::Error too_large(std::string_view file_name, std::string_view what) {
  auto message = std::string(file_name) + ": " + std::string(what);
  return {413, "document_too_large", message, issue("document_too_large", file_name, message)};
}

core::Error unreadable(std::string_view file_name, std::string_view why) {
  auto message = std::string(file_name) + ": " + std::string(why);
  return {422, "document_unreadable", message, issue("document_unreadable", file_name, message)};
}

}  // namespace sluice::rag
