#include "file_upload.hpp"

#include "sluice/http/multipart.hpp"

#include <algorithm>
#include <cctype>
#include <set>

namespace sluice::rag {

namespace json = boost::json;

namespace {

/// A drag and drop of a folder's files; each part is a document, checked before any is stored.
constexpr std::size_t kMaxFiles = 1000;

std::string lower(std::string_view s) {
  std::string out(s);
  for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string media_type(std::string_view content_type) {
  auto type = lower(content_type.substr(0, content_type.find(';')));
  while (!type.empty() && type.back() == ' ') type.pop_back();
  return type;
}

/// The type parse_documents reads a non-extracted file as: its own, else by its extension.
std::string text_type_of(const UploadedFile& file) {
  auto type = media_type(file.content_type);
  if (!type.empty() && type != "application/octet-stream") return type;
  auto dot = file.name.rfind('.');
  auto extension = dot == std::string::npos ? std::string() : lower(std::string_view(file.name).substr(dot + 1));
  if (extension == "md" || extension == "markdown") return "text/markdown";
  if (extension == "html" || extension == "htm" || extension == "xhtml") return "text/html";
  if (extension == "json") return "application/json";
  if (extension == "jsonl" || extension == "ndjson") return "application/x-ndjson";
  return "text/plain";  // a .txt, or a file of no known kind read as the text it claims to be
}

std::string page_list(const std::vector<std::size_t>& pages) {
  std::string out;
  for (std::size_t i = 0; i < pages.size() && i < 20; ++i) out += (i ? ", " : "") + std::to_string(pages[i]);
  if (pages.size() > 20) out += ", …";
  return out;
}

json::array numbers(const std::vector<std::size_t>& values) {
  json::array out;
  out.reserve(values.size());
  for (auto v : values) out.emplace_back(v);
  return out;
}

/// A file's error names the file (extraction's errors already do).
core::Error naming(core::Error error, std::string_view file_name) {
  if (!file_name.empty() && !error.message.starts_with(file_name))
    error.message = std::string(file_name) + ": " + error.message;
  return error;
}

core::Result<FileDocuments> extracted_document(const UploadedFile& file, FileFormat format,
                                               const SingleDocument& single, const ExtractLimits& limits) {
  auto shown_name = file.name.empty() ? std::string("the file") : file.name;
  auto extracted = extract_text(format, file.bytes, shown_name, limits);
  if (!extracted) return extracted.error();
  DocumentInput document;
  document.title = single.title.empty() ? extracted->title.substr(0, 4096) : single.title;
  document.text = std::move(extracted->text);
  if (!file.name.empty()) document.metadata["file"] = file.name;
  FileDocuments out;
  if (format == FileFormat::pdf) {
    document.metadata["pages"] = extracted->page_starts.size();
    document.metadata["page_starts"] = numbers(extracted->page_starts);
    if (!extracted->pages_without_text.empty())
      document.metadata["pages_without_text"] = numbers(extracted->pages_without_text);
  }
  document.id = !single.id.empty() ? single.id : !file.name.empty() ? file.name : content_hash(document).substr(0, 16);
  if (document.id.size() > 512)
    return core::validation_error(
        {{"string_too_long", {"body", shown_name}, "A document id has at most 512 bytes", nullptr}});
  if (!extracted->pages_without_text.empty()) {
    const auto& pages = extracted->pages_without_text;
    out.warnings.push_back(
        json::object{{"document_id", document.id},
                     {"code", "no_text_layer"},
                     {"message", shown_name + ": " + std::to_string(pages.size()) + " of " +
                                     std::to_string(extracted->page_starts.size()) + " pages have no text layer (" +
                                     page_list(pages) + "); their text is missing — scanned pages need OCR first"},
                     {"pages", numbers(pages)}});
  }
  out.documents.push_back(std::move(document));
  return out;
}

}  // namespace

bool is_file_upload(std::string_view content_type, std::string_view file_name) {
  return media_type(content_type) == "multipart/form-data" || file_format(content_type, file_name).has_value();
}

std::string disposition_file_name(std::string_view header) {
  // RFC 6266's filename parameter, quoted or a token; filename* (RFC 5987) is left to the
  // multipart form, which browsers use for non-ASCII names.
  for (std::size_t at = header.find(';'); at != std::string_view::npos; at = header.find(';', at + 1)) {
    auto parameter = header.substr(at + 1);
    parameter.remove_prefix(std::min(parameter.find_first_not_of(" \t"), parameter.size()));
    if (lower(parameter.substr(0, 9)) != "filename=") continue;
    auto value = parameter.substr(9);
    if (value.starts_with('"')) {
      std::string out;
      for (std::size_t i = 1; i < value.size() && value[i] != '"'; ++i) {
        if (value[i] == '\\' && i + 1 < value.size()) ++i;
        out += value[i];
      }
      return out;
    }
    return std::string(value.substr(0, value.find_first_of("; \t")));
  }
  return {};
}

core::Result<std::vector<UploadedFile>> uploaded_files(std::string_view content_type, std::string_view file_name,
                                                       std::string_view body) {
  if (media_type(content_type) != "multipart/form-data")
    return std::vector<UploadedFile>{{std::string(file_name), std::string(content_type), body}};
  auto boundary = http::multipart_boundary(content_type);
  if (!boundary) return core::bad_request("A multipart/form-data body needs a boundary");
  auto parts = http::parse_multipart(body, *boundary, kMaxFiles);
  if (!parts) return parts.error();
  std::vector<UploadedFile> files;
  std::set<std::string_view> names;
  for (const auto& part : *parts) {
    if (!part.filename) continue;  // a plain form field
    if (!names.insert(*part.filename).second)
      return core::validation_error({{"value_error",
                                      {"body", *part.filename},
                                      "Two files are named '" + *part.filename +
                                          "': each file is one document, "
                                          "named after its file",
                                      nullptr}});
    files.push_back({*part.filename, part.content_type, part.data});
  }
  if (files.empty())
    return core::validation_error({{"missing", {"body", "files"}, "The form has no file parts", nullptr}});
  return files;
}

core::Result<FileDocuments> documents_of(const UploadedFile& file, const SingleDocument& single,
                                         const ExtractLimits& limits) {
  if (auto format = file_format(file.content_type, file.name)) return extracted_document(file, *format, single, limits);
  SingleDocument named = single;
  if (named.id.empty()) named.id = file.name;
  auto parsed = parse_documents(text_type_of(file), file.bytes, named);
  if (!parsed) return naming(parsed.error(), file.name);
  FileDocuments out;
  out.documents = std::move(*parsed);
  for (auto& document : out.documents)
    if (!file.name.empty() && !document.metadata.contains("file")) document.metadata["file"] = file.name;
  return out;
}

void set_chunk_pages(json::object& metadata, std::size_t start, std::size_t end) {
  auto* starts = metadata.if_contains("page_starts");
  if (!starts || !starts->is_array()) return;
  std::vector<std::size_t> page_starts;
  page_starts.reserve(starts->as_array().size());
  for (const auto& value : starts->as_array()) {
    // Metadata a client sent may carry anything under this name: only offsets are read.
    if (value.is_uint64())
      page_starts.push_back(value.as_uint64());
    else if (value.is_int64() && value.as_int64() >= 0)
      page_starts.push_back(static_cast<std::size_t>(value.as_int64()));
    else
      return;
  }
  auto pages = pages_of(page_starts, start, end);
  metadata.erase("page_starts");  // a search hit carries its page, not every page's start
  if (!pages) return;
  metadata["page"] = pages->first;
  if (pages->last != pages->first) metadata["page_end"] = pages->last;
}

}  // namespace sluice::rag
