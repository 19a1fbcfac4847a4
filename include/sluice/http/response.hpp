#pragma once
// What a handler returns.

#include "sluice/core/error.hpp"
#include "sluice/http/message.hpp"

#include <boost/json/value.hpp>

#include <string>
#include <string_view>

namespace sluice::http {

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

  Response& set_header(Field name, std::string_view value);
  Response& set_header(std::string_view name, std::string_view value);

  Status status() const { return message_.result(); }
  std::string_view body() const { return message_.body(); }
  std::string_view header(std::string_view name) const;
  RawResponse& message() { return message_; }

 private:
  RawResponse message_;
};

}  // namespace sluice::http
