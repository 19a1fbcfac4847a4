#include "sluice/core/error.hpp"

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>

namespace sluice::core {

boost::json::value Error::to_json() const {
  boost::json::object body;
  body["code"] = code;
  body["message"] = message;
  body["detail"] = detail.is_null() ? boost::json::value(message) : detail;
  return body;
}

Error validation_error(const std::vector<FieldIssue>& issues) {
  boost::json::array detail;
  for (const auto& issue : issues) {
    boost::json::object entry{{"type", issue.type}, {"loc", issue.loc}, {"msg", issue.msg}, {"input", issue.input}};
    if (!issue.ctx.empty()) entry["ctx"] = issue.ctx;
    detail.emplace_back(std::move(entry));
  }
  return {422, "validation_error", "Request validation failed", std::move(detail)};
}

Error bad_request(std::string message) { return {400, "bad_request", std::move(message), nullptr}; }
Error not_found(std::string message) { return {404, "not_found", std::move(message), nullptr}; }
Error internal_error(std::string message) { return {500, "internal_error", std::move(message), nullptr}; }

}  // namespace sluice::core
