#include "zip_archive.hpp"

#include "document_extract.hpp"

#include <zip.h>

#include <utility>

namespace sluice::rag {

namespace {

std::string size_text(std::size_t bytes) {
  return bytes >= (1u << 20) ? std::to_string(bytes >> 20) + " MiB" : std::to_string(bytes) + " bytes";
}

core::Error member_too_large(std::string_view file_name, std::string_view member, std::size_t max_bytes) {
  return too_large(file_name, std::string(member) + " expands past " + size_text(max_bytes));
}

}  // namespace

ZipMember::ZipMember(zip_file* file, std::string name, std::string_view file_name, std::size_t max_bytes)
    : file_(file), name_(std::move(name)), file_name_(file_name), max_bytes_(max_bytes) {}

ZipMember::ZipMember(ZipMember&& other) noexcept
    : file_(std::exchange(other.file_, nullptr)),
      name_(std::move(other.name_)),
      file_name_(std::move(other.file_name_)),
      max_bytes_(other.max_bytes_),
      read_(other.read_),
      error_(std::move(other.error_)) {}

ZipMember& ZipMember::operator=(ZipMember&& other) noexcept {
  std::swap(file_, other.file_);
  name_ = std::move(other.name_);
  file_name_ = std::move(other.file_name_);
  max_bytes_ = other.max_bytes_;
  read_ = other.read_;
  error_ = std::move(other.error_);
  return *this;
}

ZipMember::~ZipMember() {
  if (file_) zip_fclose(file_);
}

long ZipMember::read(char* buffer, std::size_t size) {
  if (error_) return -1;
  // One byte past the bound is asked for, so that a member of exactly max_bytes still reads
  // to its end and one byte more is caught.
  auto room = max_bytes_ + 1 - read_;
  auto got = zip_fread(file_, buffer, std::min(size, room));
  if (got < 0) {
    error_ = unreadable(file_name_, name_ + " is damaged: " + zip_file_strerror(file_));
    return -1;
  }
  read_ += static_cast<std::size_t>(got);
  if (read_ > max_bytes_) {
    error_ = member_too_large(file_name_, name_, max_bytes_);
    return -1;
  }
  return static_cast<long>(got);
}

core::Result<ZipArchive> ZipArchive::open(std::string_view bytes, std::string_view file_name) {
  zip_error_t error;
  zip_error_init(&error);
  // Read in place: the buffer source neither copies nor frees `bytes`.
  auto* source = zip_source_buffer_create(bytes.data(), bytes.size(), 0, &error);
  zip* archive = source ? zip_open_from_source(source, ZIP_RDONLY, &error) : nullptr;
  if (!archive) {
    std::string why = "it is not a zip archive (" + std::string(zip_error_strerror(&error)) + ")";
    if (source) zip_source_free(source);
    zip_error_fini(&error);
    return unreadable(file_name, why);
  }
  zip_error_fini(&error);
  return ZipArchive(archive, file_name);
}

ZipArchive::ZipArchive(ZipArchive&& other) noexcept
    : archive_(std::exchange(other.archive_, nullptr)), file_name_(std::move(other.file_name_)) {}

ZipArchive& ZipArchive::operator=(ZipArchive&& other) noexcept {
  std::swap(archive_, other.archive_);
  file_name_ = std::move(other.file_name_);
  return *this;
}

ZipArchive::~ZipArchive() {
  if (archive_) zip_discard(archive_);
}

bool ZipArchive::contains(std::string_view member) const {
  return zip_name_locate(archive_, std::string(member).c_str(), 0) >= 0;
}

core::Result<ZipMember> ZipArchive::open_member(std::string_view member, std::size_t max_bytes) const {
  std::string name(member);
  auto index = zip_name_locate(archive_, name.c_str(), 0);
  if (index < 0) return unreadable(file_name_, "it has no " + name);
  zip_stat_t stat;
  zip_stat_init(&stat);
  if (zip_stat_index(archive_, static_cast<zip_uint64_t>(index), 0, &stat) != 0)
    return unreadable(file_name_, name + " cannot be read");
  if ((stat.valid & ZIP_STAT_SIZE) && stat.size > max_bytes) return member_too_large(file_name_, name, max_bytes);
  auto* file = zip_fopen_index(archive_, static_cast<zip_uint64_t>(index), 0);
  if (!file) return unreadable(file_name_, name + " cannot be read (" + std::string(zip_strerror(archive_)) + ")");
  return ZipMember(file, name, file_name_, max_bytes);
}

core::Result<std::string> ZipArchive::read_member(std::string_view member, std::size_t max_bytes) const {
  auto reader = open_member(member, max_bytes);
  if (!reader) return reader.error();
  std::string out;
  char buffer[1 << 14];
  for (;;) {
    auto got = reader->read(buffer, sizeof buffer);
    if (got < 0) return *reader->error();
    if (got == 0) break;
    out.append(buffer, static_cast<std::size_t>(got));
  }
  return out;
}

}  // namespace sluice::rag
