#pragma once
// Turning an upload body into documents: JSON {"documents":[...]}, NDJSON (BEIR corpus lines
// accepted as they are), or one text/plain, text/markdown or text/html document.

#include "sluice/core/error.hpp"
#include "sluice/rag/dataset_store.hpp"

#include <string>
#include <string_view>
#include <vector>

namespace sluice::app {

struct SingleDocument {
  std::string id;     // ?id= for a text upload; empty: derived from the content
  std::string title;  // ?title=; empty: the HTML <title> or first Markdown heading
};

/// Parses the whole upload (CPU work: run it on the compute pool). Errors are 422s naming the
/// offending document, field or NDJSON line (1-based); 415 for another content type. Nothing
/// is stored by this function, so a failed upload stores nothing.
core::Result<std::vector<rag::DocumentInput>> parse_documents(std::string_view content_type, std::string_view body,
                                                              const SingleDocument& single);

/// Whether an upload of `content_type` is NDJSON, which NdjsonDocuments reads a slice at a time.
bool is_ndjson(std::string_view content_type);

/// An NDJSON upload read a slice of documents at a time, so that a large upload is never held
/// whole as documents (the body itself is a mapping of the spooled request). Same documents and
/// errors as parse_documents.
class NdjsonDocuments {
 public:
  explicit NdjsonDocuments(std::string_view body) : body_(body) {}
  /// Up to `count` more documents; empty when the body is read.
  core::Result<std::vector<rag::DocumentInput>> next(std::size_t count);

 private:
  std::string_view body_;
  std::size_t position_ = 0;
  std::size_t line_number_ = 0;
};

/// Whether `text` is well-formed UTF-8.
bool is_valid_utf8(std::string_view text);

}  // namespace sluice::app
