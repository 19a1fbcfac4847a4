#pragma once
// Turning an upload body into documents: JSON {"documents":[...]}, NDJSON (BEIR corpus lines
// accepted as they are), or one text/plain, text/markdown or text/html document.

#include "json_array_reader.hpp"

#include "sluice/core/error.hpp"
#include "sluice/rag/dataset_store.hpp"

#include <limits>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace sluice::rag {

struct SingleDocument {
  std::string id;     // ?id= for a text upload; empty: derived from the content
  std::string title;  // ?title=; empty: the HTML <title> or first Markdown heading
};

/// Parses the whole upload (CPU work: run it on the compute pool). Errors are 422s naming the
/// offending document, field or NDJSON line (1-based); 415 for another content type. Nothing
/// is stored by this function, so a failed upload stores nothing.
core::Result<std::vector<DocumentInput>> parse_documents(std::string_view content_type, std::string_view body,
                                                              const SingleDocument& single);

/// An upload of many documents (JSON or NDJSON) read a slice of documents at a time, so that a
/// large upload is never held whole as documents (the body itself is a mapping of the spooled
/// request). Same documents and errors as parse_documents.
/// How much one DocumentStream::next hands out: up to `documents` documents, and once their
/// texts and titles reach `bytes`, no more (always at least one).
struct SliceLimit {
  std::size_t documents;
  std::size_t bytes = std::numeric_limits<std::size_t>::max();
};

class DocumentStream {
 public:
  virtual ~DocumentStream() = default;
  /// The next documents, within `limit`; empty when the body is read.
  virtual core::Result<std::vector<DocumentInput>> next(SliceLimit limit) = 0;
};

/// The stream of a JSON or NDJSON upload; null for the one-document content types.
std::unique_ptr<DocumentStream> document_stream(std::string_view content_type, std::string_view body);

/// Whether an upload of `content_type` is NDJSON.
bool is_ndjson(std::string_view content_type);

/// NDJSON: one document per line (BEIR corpus lines accepted as they are).
class NdjsonDocuments final : public DocumentStream {
 public:
  explicit NdjsonDocuments(std::string_view body) : body_(body) {}
  core::Result<std::vector<DocumentInput>> next(SliceLimit limit) override;

 private:
  std::string_view body_;
  std::size_t position_ = 0;
  std::size_t line_number_ = 0;
};

/// JSON: {"documents": [...]}, parsed as it is read (JsonArrayReader).
class JsonDocuments final : public DocumentStream {
 public:
  explicit JsonDocuments(std::string_view body) : reader_(body, "documents") {}
  core::Result<std::vector<DocumentInput>> next(SliceLimit limit) override;

 private:
  JsonArrayReader reader_;
  std::size_t index_ = 0;
};

/// Whether `text` is well-formed UTF-8.
bool is_valid_utf8(std::string_view text);

}  // namespace sluice::rag
