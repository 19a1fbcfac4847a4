#pragma once
// Serialises a response head into one reusable buffer.

#include "sluice/http/message.hpp"
#include "sluice/http/response.hpp"

#include <boost/asio/buffer.hpp>

#include <array>
#include <optional>
#include <string>

namespace sluice::http::detail {

/// Beast's generic serializer walks a chain of buffer views per write; for the small replies
/// that dominate an API server that walk cost more CPU than the rest of the request. This
/// writes the status line and fields into one string whose capacity the connection keeps, and
/// sends head and body with a single gather write.
class ResponseWriter {
 public:
  /// Returns {head with Content-Length, body} (body empty for a HEAD request); valid until
  /// the next call.
  /// A non-empty `request_id` is written as an X-Request-ID header.
  std::array<boost::asio::const_buffer, 2> buffers(Response& response, bool include_body = true,
                                                   std::string_view request_id = {});
  /// The head of a streamed response: chunked (HTTP/1.1) or close-delimited (HTTP/1.0).
  boost::asio::const_buffer stream_head(Response& response, std::string_view request_id = {});

 private:
  void write_head(const Response& response, std::string_view request_id, std::optional<std::size_t> content_length);
  std::string head_;
};

}  // namespace sluice::http::detail
