#include "batch_input.hpp"

#include "sluice/core/json_text.hpp"

#include <fmt/format.h>
#include <boost/json/parse.hpp>

#include <unordered_set>

namespace sluice::ai::batches {

namespace json = boost::json;

json::object LineError::to_json() const {
  return {{"code", code},
          {"message", message},
          {"param", param.empty() ? json::value(nullptr) : json::value(param)},
          {"line", line}};
}

std::variant<BatchLine, LineError> parse_batch_line(std::string_view text, std::size_t number,
                                                    std::string_view endpoint) {
  if (text.find_first_not_of(" \t\r") == std::string_view::npos) return BatchLine{};
  auto refuse = [number](std::string code, std::string message, std::string param = {}) {
    return LineError{number, std::move(code), std::move(message), std::move(param)};
  };
  boost::system::error_code ec;
  auto value = json::parse(text, ec);
  if (ec || !value.is_object()) return refuse("invalid_json_line", "This line is not a JSON object");
  const auto& line = value.as_object();
  const auto* custom_id = line.if_contains("custom_id");
  if (!custom_id || !custom_id->is_string() || custom_id->as_string().empty())
    return refuse("missing_required_parameter", "'custom_id' must be a non-empty string", "custom_id");
  if (custom_id->as_string().size() > 512)
    return refuse("invalid_value", "'custom_id' is longer than 512 characters", "custom_id");
  const auto* method = line.if_contains("method");
  if (!method || !method->is_string() || method->as_string() != "POST")
    return refuse("invalid_value", "'method' must be \"POST\"", "method");
  const auto* url = line.if_contains("url");
  if (!url || !url->is_string()) return refuse("missing_required_parameter", "'url' must be a string", "url");
  if (url->as_string() != endpoint)
    return refuse("mismatched_endpoint",
                  fmt::format("The url '{}' does not match the batch's endpoint '{}'",
                              std::string_view(url->as_string()), endpoint),
                  "url");
  const auto* body = line.if_contains("body");
  if (!body || !body->is_object()) return refuse("missing_required_parameter", "'body' must be an object", "body");
  return BatchLine{std::string(custom_id->as_string()), core::json_text(*body)};
}

BatchValidation validate_batch_input(std::istream& in, std::string_view endpoint, std::size_t max_requests,
                                     std::size_t max_errors) {
  BatchValidation result;
  std::unordered_set<std::string> seen;
  std::string text;
  auto add = [&](LineError error) {
    if (result.errors.size() < max_errors) result.errors.push_back(std::move(error));
  };
  for (std::size_t number = 1; std::getline(in, text); ++number) {
    auto parsed = parse_batch_line(text, number, endpoint);
    if (auto* error = std::get_if<LineError>(&parsed)) {
      add(std::move(*error));
      continue;
    }
    auto& line = std::get<BatchLine>(parsed);
    if (is_blank(line)) continue;
    if (++result.requests > max_requests) {
      add({number, "too_many_requests", fmt::format("A batch holds at most {} requests", max_requests), ""});
      break;
    }
    if (!seen.insert(line.custom_id).second)
      add({number, "duplicate_custom_id", fmt::format("The custom_id '{}' is used by an earlier line", line.custom_id),
           "custom_id"});
  }
  if (result.requests == 0 && result.errors.empty())
    result.errors.push_back({0, "empty_file", "The input file holds no requests", ""});
  return result;
}

}  // namespace sluice::ai::batches
