#pragma once
// A zip container (DOCX, ODT, EPUB) read in place through libzip, each member read within a
// bound: its declared size is checked before reading and its bytes are counted while they are
// read, so a member that lies about its size (a zip bomb) stops at the bound, not at memory.

#include "sluice/core/error.hpp"

#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

struct zip;
struct zip_file;

namespace sluice::rag {

/// One member being read. Not thread-safe; one reader at a time per archive.
class ZipMember {
 public:
  ZipMember(ZipMember&&) noexcept;
  ZipMember& operator=(ZipMember&&) noexcept;
  ~ZipMember();

  /// Up to `size` decompressed bytes into `buffer`; 0 at the end, -1 on a failure (then
  /// `error()` says which: 413 past the bound, 422 for a damaged member).
  long read(char* buffer, std::size_t size);
  const std::optional<core::Error>& error() const { return error_; }
  std::size_t bytes_read() const { return read_; }

 private:
  friend class ZipArchive;
  ZipMember(zip_file* file, std::string name, std::string_view file_name, std::size_t max_bytes);
  zip_file* file_;
  std::string name_;       // the member's, e.g. word/document.xml
  std::string file_name_;  // the upload's, for the errors
  std::size_t max_bytes_, read_ = 0;
  std::optional<core::Error> error_;
};

class ZipArchive {
 public:
  /// Opens `bytes` (kept alive by the caller while the archive is used); 422 naming
  /// `file_name` when they are not a zip archive.
  static core::Result<ZipArchive> open(std::string_view bytes, std::string_view file_name);
  ZipArchive(ZipArchive&&) noexcept;
  ZipArchive& operator=(ZipArchive&&) noexcept;
  ~ZipArchive();

  bool contains(std::string_view member) const;
  /// A reader of `member`: 422 when it is missing or cannot be read (encrypted, an unknown
  /// compression), 413 when its declared size is past `max_bytes`.
  core::Result<ZipMember> open_member(std::string_view member, std::size_t max_bytes) const;
  /// The whole of a small member (an OPF, a container.xml), same bounds.
  core::Result<std::string> read_member(std::string_view member, std::size_t max_bytes) const;

 private:
  ZipArchive(zip* archive, std::string_view file_name) : archive_(archive), file_name_(file_name) {}
  zip* archive_;
  std::string file_name_;
};

}  // namespace sluice::rag
