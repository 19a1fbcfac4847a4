#pragma once
// An XML member of a zip archive, parsed as it is decompressed (bounded like every member).

#include "xml_reader.hpp"
#include "zip_archive.hpp"

#include <memory>
#include <string>

namespace sluice::rag {

class ZipXml {
 public:
  /// 422 when the member is missing or unreadable, 413 when it declares more than `max_bytes`.
  static core::Result<ZipXml> open(const ZipArchive& archive, std::string_view member, std::size_t max_bytes,
                                   std::string_view file_name);

  XmlReader& reader() { return *reader_; }
  /// Why reading stopped early: the member's own error (413 past the bound, 422 damaged) or,
  /// when the bytes were fine, the XML's (422 naming the member and line).
  core::Error failure() const;
  /// Decompressed bytes read so far.
  std::size_t bytes_read() const { return member_->bytes_read(); }

 private:
  ZipXml(std::unique_ptr<ZipMember> member, std::string name, std::string_view file_name);
  std::unique_ptr<ZipMember> member_;  // stays put: the reader pulls from it
  std::unique_ptr<XmlReader> reader_;
  std::string name_, file_name_;
};

}  // namespace sluice::rag
