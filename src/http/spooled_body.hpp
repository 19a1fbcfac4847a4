#pragma once
// Large request bodies go to an unlinked temporary file as they arrive, and the handler reads
// them through a read-only mapping: an upload of hundreds of MB never sits in the heap (the
// kernel pages it in as it is read and may drop it again). The file has no name, so nothing is
// left behind whatever happens to the process.

#include <boost/beast/core/buffers_range.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/optional.hpp>
#include <boost/system/error_code.hpp>

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string_view>

namespace sluice::http::detail {

/// A finished spooled body, mapped; unmapped and closed when the last request holding it goes.
class MappedBody {
 public:
  /// Takes `fd` (closed by the destructor); nullptr with `ec` set when it cannot be mapped.
  static std::shared_ptr<const MappedBody> map(int fd, std::uint64_t size, boost::system::error_code& ec);
  ~MappedBody();
  MappedBody(const MappedBody&) = delete;
  MappedBody& operator=(const MappedBody&) = delete;
  std::string_view view() const { return {static_cast<const char*>(data_), size_}; }

 private:
  MappedBody(int fd, void* data, std::size_t size) : fd_(fd), data_(data), size_(size) {}
  int fd_;
  void* data_;
  std::size_t size_;
};

/// A Beast Body whose reader writes into a temporary file in `value_type::directory`. Writes go
/// to the page cache: a memory copy, as reading into a string would be, but not the heap's.
struct spool_body {
  struct value_type {
    std::filesystem::path directory;
    int fd = -1;
    std::uint64_t size = 0;
    value_type() = default;
    value_type(value_type&& other) noexcept;
    value_type& operator=(value_type&& other) noexcept;
    ~value_type();
    /// The descriptor, for MappedBody::map; the body no longer closes it.
    int release();
  };

  class reader {
   public:
    template <bool isRequest, class Fields>
    reader(boost::beast::http::header<isRequest, Fields>&, value_type& body) : body_(body) {}
    void init(const boost::optional<std::uint64_t>& content_length, boost::system::error_code& ec);
    template <class ConstBufferSequence>
    std::size_t put(const ConstBufferSequence& buffers, boost::system::error_code& ec) {
      std::size_t written = 0;
      for (auto buffer : boost::beast::buffers_range_ref(buffers)) {
        written += write(buffer.data(), buffer.size(), ec);
        if (ec) break;
      }
      return written;
    }
    void finish(boost::system::error_code& ec) { ec = {}; }

   private:
    std::size_t write(const void* data, std::size_t size, boost::system::error_code& ec);
    value_type& body_;
  };
};

}  // namespace sluice::http::detail
