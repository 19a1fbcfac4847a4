#include "spooled_body.hpp"

#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cerrno>
#include <string>
#include <utility>

namespace sluice::http::detail {

namespace {

boost::system::error_code last_error() { return {errno, boost::system::system_category()}; }

/// An anonymous file: O_TMPFILE where the file system has it, else a named one unlinked at once.
int open_anonymous(const std::filesystem::path& directory) {
  int fd = ::open(directory.c_str(), O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
  if (fd >= 0 || (errno != EOPNOTSUPP && errno != EISDIR && errno != ENOENT)) return fd;
  std::string name = (directory / "sluice-body-XXXXXX").string();
  fd = ::mkostemp(name.data(), O_CLOEXEC);
  if (fd >= 0) ::unlink(name.c_str());
  return fd;
}

}  // namespace

std::shared_ptr<const MappedBody> MappedBody::map(int fd, std::uint64_t size, boost::system::error_code& ec) {
  if (size == 0) {
    ::close(fd);
    return std::shared_ptr<const MappedBody>(new MappedBody(-1, nullptr, 0));
  }
  void* data = ::mmap(nullptr, size, PROT_READ, MAP_PRIVATE, fd, 0);
  if (data == MAP_FAILED) {
    ec = last_error();
    ::close(fd);
    return nullptr;
  }
  ::madvise(data, size, MADV_SEQUENTIAL);  // parsers read it front to back
  return std::shared_ptr<const MappedBody>(new MappedBody(fd, data, size));
}

MappedBody::~MappedBody() {
  if (data_) ::munmap(data_, size_);
  if (fd_ >= 0) ::close(fd_);
}

spool_body::value_type::value_type(value_type&& other) noexcept
    : directory(std::move(other.directory)), fd(std::exchange(other.fd, -1)), size(other.size) {}

spool_body::value_type& spool_body::value_type::operator=(value_type&& other) noexcept {
  if (this != &other) {
    if (fd >= 0) ::close(fd);
    directory = std::move(other.directory);
    fd = std::exchange(other.fd, -1);
    size = other.size;
  }
  return *this;
}

spool_body::value_type::~value_type() {
  if (fd >= 0) ::close(fd);
}

int spool_body::value_type::release() { return std::exchange(fd, -1); }

void spool_body::reader::init(const boost::optional<std::uint64_t>&, boost::system::error_code& ec) {
  body_.fd = open_anonymous(body_.directory.empty() ? std::filesystem::temp_directory_path() : body_.directory);
  ec = body_.fd < 0 ? last_error() : boost::system::error_code{};
}

std::size_t spool_body::reader::write(const void* data, std::size_t size, boost::system::error_code& ec) {
  const auto* bytes = static_cast<const char*>(data);
  std::size_t done = 0;
  while (done < size) {
    auto n = ::write(body_.fd, bytes + done, size - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      ec = last_error();  // disk full: the request is refused with 507, nothing half-read is served
      break;
    }
    done += static_cast<std::size_t>(n);
  }
  body_.size += done;
  return done;
}

}  // namespace sluice::http::detail
