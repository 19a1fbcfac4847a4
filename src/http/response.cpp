#include "sluice/http/response.hpp"

#include "sluice/core/json_text.hpp"

#include <boost/beast/core/string.hpp>

namespace sluice::http {

Response::Response(Status status) { message_.result(status); }

Response Response::json(const boost::json::value& body, Status status) {
  Response response(status);
  response.message_.set(Field::content_type, "application/json");
  response.message_.body() = core::json_text(body);
  return response;
}

Response Response::text(std::string body, std::string_view content_type, Status status) {
  Response response(status);
  response.message_.set(Field::content_type, content_type);
  response.message_.body() = std::move(body);
  return response;
}

Response Response::error(const core::Error& error) {
  auto response = json(error.to_json(), static_cast<Status>(error.status));
  // Every 503 is a "try again soon" (queue full, at capacity, dependency down): say when.
  if (error.status == 503) response.set_header(Field::retry_after, "1");
  return response;
}

Response Response::stream(std::string_view content_type, StreamProducer producer, Status status) {
  Response response(status);
  response.message_.set(Field::content_type, content_type);
  response.message_.set(Field::cache_control, "no-cache");
  response.producer_ = std::move(producer);
  return response;
}

Response& Response::set_header(Field name, std::string_view value) {
  message_.set(name, value);
  return *this;
}

Response& Response::set_header(std::string_view name, std::string_view value) {
  message_.set(name, value);
  return *this;
}

Response& Response::append_header(std::string_view name, std::string_view value) {
  appended_.append(name).append(": ").append(value).append("\r\n");
  return *this;
}

std::string_view Response::header(std::string_view name) const {
  if (auto it = message_.find(name); it != message_.end()) return it->value();
  std::string_view lines = appended_;
  while (!lines.empty()) {
    auto end = lines.find("\r\n");
    auto line = lines.substr(0, end);
    lines.remove_prefix(end + 2);
    auto colon = line.find(':');
    if (colon == name.size() && boost::beast::iequals(line.substr(0, colon), name)) return line.substr(colon + 2);
  }
  return {};
}

}  // namespace sluice::http
