#include "response_writer.hpp"

#include <charconv>

namespace sluice::http::detail {

std::array<boost::asio::const_buffer, 2> ResponseWriter::buffers(Response& response, bool include_body,
                                                                 std::string_view request_id) {
  auto& message = response.message();
  // Content-Length goes straight into the head rather than into the message's field list
  // (one allocation fewer per response); a handler's own value is replaced, as Beast would.
  message.erase(Field::content_length);
  message.erase(Field::transfer_encoding);
  write_head(response, request_id, message.body().size());
  if (!include_body) return {boost::asio::buffer(head_), boost::asio::const_buffer()};
  return {boost::asio::buffer(head_), boost::asio::buffer(message.body())};
}

boost::asio::const_buffer ResponseWriter::stream_head(Response& response, std::string_view request_id) {
  auto& message = response.message();
  message.erase(Field::content_length);
  if (message.version() == 11) message.set(Field::transfer_encoding, "chunked");
  else message.keep_alive(false);  // HTTP/1.0: the end of the body is the end of the connection
  write_head(response, request_id, std::nullopt);
  return boost::asio::buffer(head_);
}

void ResponseWriter::write_head(const Response& response, std::string_view request_id,
                                std::optional<std::size_t> content_length) {
  const RawResponse& message = response.message();
  head_.clear();
  head_ += message.version() == 10 ? "HTTP/1.0 " : "HTTP/1.1 ";
  char code[8];
  auto [end, ec] = std::to_chars(code, code + sizeof code, message.result_int());
  head_.append(code, end);
  head_ += ' ';
  auto reason = message.reason();
  head_ += std::string_view(reason.empty() ? beast_http::obsolete_reason(message.result()) : reason);
  head_ += "\r\n";
  for (const auto& field : message) {
    head_ += std::string_view(field.name_string());
    head_ += ": ";
    head_ += std::string_view(field.value());
    head_ += "\r\n";
  }
  head_ += response.appended_headers();
  if (content_length) {
    char digits[24];
    auto [digits_end, digits_ec] = std::to_chars(digits, digits + sizeof digits, *content_length);
    head_.append("Content-Length: ").append(digits, digits_end).append("\r\n");
  }
  if (!request_id.empty()) head_.append("X-Request-ID: ").append(request_id).append("\r\n");
  head_ += "\r\n";
}

}  // namespace sluice::http::detail
