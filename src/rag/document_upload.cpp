#include "document_upload.hpp"

#include "sluice/rag/chunker.hpp"

#include <boost/json/parser.hpp>
#include "sluice/core/json_text.hpp"

#include <algorithm>
#include <cctype>
#include <limits>

namespace sluice::rag {

namespace json = boost::json;
using core::FieldIssue;

namespace {

constexpr std::size_t kMaxIdBytes = 512;
constexpr std::size_t kMaxTitleBytes = 4096;

std::string lower(std::string_view s) {
  std::string out(s);
  for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

/// Reads one document object; `loc` prefixes field locations ("body", "documents", 3 / "line", 7).
bool read_document(const json::value& value, const json::array& loc, DocumentInput& out,
                   std::vector<FieldIssue>& issues) {
  auto at = [&](std::string_view field) {
    auto l = loc;
    l.emplace_back(field);
    return l;
  };
  if (!value.is_object()) {
    issues.push_back({"model_type", loc, "Input should be an object with \"id\" and \"text\"", value});
    return false;
  }
  const auto& object = value.as_object();
  const json::value* id = object.if_contains("id");
  if (!id) id = object.if_contains("_id");  // BEIR corpus lines
  bool ok = true;
  if (!id) {
    issues.push_back({"missing", at("id"), "Field required", nullptr});
    ok = false;
  } else if (id->is_string() && !id->as_string().empty() && id->as_string().size() <= kMaxIdBytes) {
    out.id = std::string(id->as_string());
  } else if (id->is_int64() || id->is_uint64()) {
    out.id = core::json_text(*id);
  } else {
    issues.push_back({"string_type", at("id"), "Input should be a string of 1 to 512 bytes", *id});
    ok = false;
  }
  if (const auto* text = object.if_contains("text"); text && text->is_string()) {
    out.text = std::string(text->as_string());
  } else {
    issues.push_back({text ? "string_type" : "missing", at("text"), text ? "Input should be a valid string" : "Field required",
                      text ? *text : json::value(nullptr)});
    ok = false;
  }
  if (const auto* title = object.if_contains("title"); title && !title->is_null()) {
    if (title->is_string() && title->as_string().size() <= kMaxTitleBytes) {
      out.title = std::string(title->as_string());
    } else {
      issues.push_back({"string_type", at("title"), "Input should be a string of at most 4096 bytes", *title});
      ok = false;
    }
  }
  if (const auto* metadata = object.if_contains("metadata"); metadata && !metadata->is_null()) {
    if (metadata->is_object()) {
      out.metadata = metadata->as_object();
    } else {
      issues.push_back({"dict_type", at("metadata"), "Input should be an object", *metadata});
      ok = false;
    }
  }
  return ok;
}

core::Error unprocessable(std::vector<FieldIssue> issues) {
  if (issues.size() > 20) issues.resize(20);  // enough to fix the upload; bounded answer
  return core::validation_error(issues);
}

std::string media_type(std::string_view content_type) {
  auto type = lower(content_type.substr(0, content_type.find(';')));
  while (!type.empty() && type.back() == ' ') type.pop_back();
  return type;
}

}  // namespace

core::Result<std::vector<DocumentInput>> NdjsonDocuments::next(SliceLimit limit) {
  std::vector<DocumentInput> documents;
  std::size_t bytes = 0;
  json::parser parser;
  while (documents.size() < limit.documents && bytes < limit.bytes && position_ < body_.size()) {
    auto end = body_.find('\n', position_);
    if (end == std::string_view::npos) end = body_.size();
    auto line = body_.substr(position_, end - position_);
    position_ = end + 1;
    ++line_number_;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.find_first_not_of(" \t") == std::string_view::npos) continue;
    json::error_code ec;
    parser.reset();
    parser.write(line.data(), line.size(), ec);
    json::array loc{"body", "line", line_number_};
    if (ec)
      return unprocessable({{"json_invalid", loc,
                             "Line " + std::to_string(line_number_) + " is not valid JSON: " + ec.message(), nullptr}});
    DocumentInput document;
    std::vector<FieldIssue> issues;
    if (!read_document(parser.release(), loc, document, issues)) {
      issues.front().msg = "Line " + std::to_string(line_number_) + ": " + issues.front().msg;
      return unprocessable(std::move(issues));
    }
    bytes += document.text.size() + document.title.size();
    documents.push_back(std::move(document));
  }
  return documents;
}

core::Result<std::vector<DocumentInput>> JsonDocuments::next(SliceLimit limit) {
  // One element at a time: each element's JSON tree is dropped once read into its document, so
  // a slice is not held twice (as JSON and as documents).
  std::vector<DocumentInput> documents;
  std::size_t bytes = 0;
  std::vector<FieldIssue> issues;
  while (documents.size() < limit.documents && bytes < limit.bytes) {
    auto element = reader_.next(1);
    if (!element) return element.error();
    if (element->empty()) break;
    auto& document = documents.emplace_back();
    read_document(element->front(), {"body", "documents", index_++}, document, issues);
    bytes += document.text.size() + document.title.size();
  }
  if (!issues.empty()) return unprocessable(std::move(issues));
  return documents;
}

bool is_valid_utf8(std::string_view text) {
  for (std::size_t i = 0; i < text.size();) {
    auto c = static_cast<unsigned char>(text[i]);
    std::size_t extra = 0;
    std::uint32_t cp = 0;
    if (c < 0x80) {
      ++i;
      continue;
    }
    if ((c & 0xE0) == 0xC0) extra = 1, cp = c & 0x1F;
    else if ((c & 0xF0) == 0xE0) extra = 2, cp = c & 0x0F;
    else if ((c & 0xF8) == 0xF0) extra = 3, cp = c & 0x07;
    else return false;
    if (i + extra >= text.size()) return false;
    for (std::size_t j = 1; j <= extra; ++j) {
      auto next = static_cast<unsigned char>(text[i + j]);
      if ((next & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (next & 0x3F);
    }
    // Overlong forms, surrogates and code points past U+10FFFF are not UTF-8.
    if ((extra == 1 && cp < 0x80) || (extra == 2 && (cp < 0x800 || (cp >= 0xD800 && cp <= 0xDFFF))) ||
        (extra == 3 && (cp < 0x10000 || cp > 0x10FFFF)))
      return false;
    i += extra + 1;
  }
  return true;
}

bool is_ndjson(std::string_view content_type) {
  auto type = media_type(content_type);
  return type == "application/x-ndjson" || type == "application/jsonl" || type == "application/ndjson";
}

std::unique_ptr<DocumentStream> document_stream(std::string_view content_type, std::string_view body) {
  if (media_type(content_type) == "application/json") return std::make_unique<JsonDocuments>(body);
  if (is_ndjson(content_type)) return std::make_unique<NdjsonDocuments>(body);
  return nullptr;
}

core::Result<std::vector<DocumentInput>> parse_documents(std::string_view content_type, std::string_view body,
                                                              const SingleDocument& single) {
  if (auto stream = document_stream(content_type, body))
    return stream->next({.documents = std::numeric_limits<std::size_t>::max()});
  auto type = media_type(content_type);
  if (type != "text/plain" && type != "text/markdown" && type != "text/html")
    return core::Error{415, "unsupported_media_type",
                       "Send application/json, application/x-ndjson, text/plain, text/markdown or text/html", nullptr};
  if (!is_valid_utf8(body))
    return unprocessable({{"utf8_invalid", {"body"}, "The document is not valid UTF-8", nullptr}});
  DocumentInput document;
  document.title = single.title;
  std::string found_title;
  if (type == "text/html") document.text = rag::html_to_text(body, &found_title);
  else if (type == "text/markdown") document.text = rag::markdown_to_text(body, &found_title);
  else document.text = std::string(body);
  if (document.title.empty()) document.title = found_title.substr(0, kMaxTitleBytes);
  document.id = single.id.empty() ? rag::content_hash(document).substr(0, 16) : single.id;
  if (document.id.size() > kMaxIdBytes)
    return unprocessable({{"string_too_long", {"query", "id"}, "String should have at most 512 bytes", nullptr}});
  return std::vector<DocumentInput>{std::move(document)};
}

}  // namespace sluice::rag
