#pragma once
// What a handler returns.

#include "sluice/core/error.hpp"
#include "sluice/http/message.hpp"

#include <boost/asio/awaitable.hpp>
#include <boost/json/value.hpp>

#include <functional>

#include <string>
#include <string_view>

namespace sluice::http {

/// Where a streaming response writes its body, chunk by chunk.
class StreamWriter {
 public:
  virtual ~StreamWriter() = default;
  /// Sends `data` now; false once the client has gone (stop producing then).
  virtual boost::asio::awaitable<bool> write(std::string_view data) = 0;
  /// True once the server is shutting down: long-lived streams should finish.
  virtual bool is_closing() const = 0;
};

/// Produces a streaming body; runs on the connection's IO thread after the head is sent.
using StreamProducer = std::function<boost::asio::awaitable<void>(StreamWriter&)>;

/// An HTTP response under construction: status, headers, body.
class Response {
 public:
  explicit Response(Status status = Status::ok);

  /// `body` serialised as JSON with `Content-Type: application/json`.
  static Response json(const boost::json::value& body, Status status = Status::ok);
  static Response text(std::string body, std::string_view content_type = "text/plain; charset=utf-8",
                       Status status = Status::ok);
  /// The shared error shape `{"code","message","detail"}` with the error's status.
  static Response error(const core::Error& error);
  /// A body produced while it is sent (chunked transfer encoding), e.g. Server-Sent Events.
  static Response stream(std::string_view content_type, StreamProducer producer, Status status = Status::ok);

  Response& set_header(Field name, std::string_view value);
  Response& set_header(std::string_view name, std::string_view value);
  /// Adds a header line that is written as is after the fields: no lookup, no allocation per
  /// header — for headers added on every request (rate-limit counts). It does not replace a
  /// field of the same name; `value` must not contain CR or LF.
  Response& append_header(std::string_view name, std::string_view value);
  /// Adds header lines already formatted as "Name: value\r\n" each (several in one call).
  Response& append_header_lines(std::string_view lines) {
    appended_ += lines;
    return *this;
  }
  /// The lines append_header() added, "Name: value\r\n" each.
  const std::string& appended_headers() const { return appended_; }

  Status status() const { return message_.result(); }
  std::string_view body() const { return message_.body(); }
  /// A field's value, or an appended header's; empty when absent.
  std::string_view header(std::string_view name) const;
  RawResponse& message() { return message_; }
  const RawResponse& message() const { return message_; }
  bool is_streaming() const { return static_cast<bool>(producer_); }
  StreamProducer& producer() { return producer_; }

 private:
  RawResponse message_;
  StreamProducer producer_;
  std::string appended_;
};

}  // namespace sluice::http
