#pragma once
// Files in a dataset upload: one raw file (its Content-Type or file name says what it is) or
// the file parts of a multipart/form-data body (the console's drag and drop of several), each
// a document named after its file. PDF, DOCX, ODT and EPUB are extracted (extract/); text,
// Markdown, HTML, JSON and NDJSON files are read as parse_documents reads those uploads.

#include "document_upload.hpp"
#include "extract/document_extract.hpp"

#include <boost/json/array.hpp>

#include <string>
#include <string_view>
#include <vector>

namespace sluice::rag {

struct UploadedFile {
  std::string name;          // its file name; "" when the upload gave none
  std::string content_type;  // as sent; "" or application/octet-stream: the name decides
  std::string_view bytes;    // views the request body
};

/// Whether an upload is files rather than documents: multipart/form-data, or a PDF, DOCX, ODT or
/// EPUB by its type or (for application/octet-stream) its file name.
bool is_file_upload(std::string_view content_type, std::string_view file_name);

/// The files of an upload: a multipart body's file parts (at most 1,000; a part without a file
/// name is not a file), or the body as one file named `file_name`. 400 for a malformed
/// multipart body, 422 for one without files or with two of the same name.
core::Result<std::vector<UploadedFile>> uploaded_files(std::string_view content_type, std::string_view file_name,
                                                       std::string_view body);

/// The file name of a Content-Disposition value (`attachment; filename="a.pdf"`); "" if none.
std::string disposition_file_name(std::string_view header);

/// The documents of one file, and what the upload's answer says about them (`warnings`: the
/// pages of a PDF without a text layer). A document's id is `single.id`, else the file name,
/// else a hash of its content; its metadata names the file and, for a PDF, its pages:
/// `page_starts` are the character offsets of each page's start, the units of a chunk's start.
struct FileDocuments {
  std::vector<DocumentInput> documents;
  boost::json::array warnings;
};
core::Result<FileDocuments> documents_of(const UploadedFile& file, const SingleDocument& single,
                                         const ExtractLimits& limits = {});

/// The page (or "page" and "page_end" when it spans several) of a chunk at [start, end) of a
/// document whose metadata has `page_starts`, set in `metadata` in place of the page starts;
/// metadata without them is left as it is. Search hits and citations call it so that a
/// citation can name the page.
void set_chunk_pages(boost::json::object& metadata, std::size_t start, std::size_t end);

}  // namespace sluice::rag
