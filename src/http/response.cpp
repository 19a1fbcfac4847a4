#include "sluice/http/response.hpp"

#include <boost/json/serialize.hpp>

namespace sluice::http {

Response::Response(Status status) { message_.result(status); }

Response Response::json(const boost::json::value& body, Status status) {
  Response response(status);
  response.message_.set(Field::content_type, "application/json");
  response.message_.body() = boost::json::serialize(body);
  return response;
}

Response Response::text(std::string body, std::string_view content_type, Status status) {
  Response response(status);
  response.message_.set(Field::content_type, content_type);
  response.message_.body() = std::move(body);
  return response;
}

Response Response::error(const core::Error& error) {
  return json(error.to_json(), static_cast<Status>(error.status));
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

std::string_view Response::header(std::string_view name) const {
  auto it = message_.find(name);
  return it == message_.end() ? std::string_view{} : std::string_view(it->value());
}

}  // namespace sluice::http
