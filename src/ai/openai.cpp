#include "sluice/ai/openai.hpp"

#include "sluice/core/json_text.hpp"

#include <fmt/format.h>

#include <atomic>
#include <chrono>
#include <random>

namespace sluice::ai::openai {

namespace json = boost::json;

namespace {

/// OpenAI's name for a location in the body: ["body","messages",0,"role"] → "messages.[0].role".
/// Empty when the failure is the body itself (not JSON, missing).
std::string param_of(const json::array& loc) {
  std::string out;
  for (std::size_t i = loc.size() > 0 && loc[0] == "body" ? 1 : 0; i < loc.size(); ++i) {
    if (!out.empty()) out += '.';
    if (loc[i].is_string()) out += loc[i].get_string();
    else if (i == 1) return {};  // ["body", position]: the JSON decode error's offset
    else out += fmt::format("[{}]", core::json_text(loc[i]));
  }
  return out;
}

ErrorObject invalid_input(const core::Error& error) {
  const auto* issues = error.detail.if_array();
  const auto* first = issues && !issues->empty() ? issues->front().if_object() : nullptr;
  if (!first) return {error.message, "invalid_request_error", std::nullopt, error.code};
  const auto* loc = first->if_contains("loc");
  const auto* msg = first->if_contains("msg");
  std::string param = loc && loc->is_array() ? param_of(loc->get_array()) : std::string();
  std::string what = msg && msg->is_string() ? std::string(msg->get_string()) : error.message;
  const auto* context = first->if_contains("ctx");
  if (const auto* reason = context && context->is_object() ? context->get_object().if_contains("error") : nullptr;
      reason && reason->is_string())
    what += fmt::format(" ({})", std::string_view(reason->get_string()));
  if (param.empty())
    return {fmt::format("The request body is invalid: {}", what), "invalid_request_error", std::nullopt,
            std::string("invalid_body")};
  return {fmt::format("'{}': {}", param, what), "invalid_request_error", param, std::nullopt};
}

}  // namespace

unsigned openai_status(const core::Error& error) { return error.status == 422 ? 400 : error.status; }

ErrorResponse to_openai(const core::Error& error) {
  if (error.status == 422 && error.code == "validation_error") return {invalid_input(error)};
  std::string type = error.status == 429   ? "rate_limit_error"
                     : error.status == 401 ? "authentication_error"
                     : error.status >= 500 ? "server_error"
                                           : "invalid_request_error";
  std::optional<std::string> param;
  if (const auto* detail = error.detail.if_object())  // a route's own error may name its parameter
    if (const auto* named = detail->if_contains("param"); named && named->is_string() && !named->get_string().empty())
      param = std::string(named->get_string());
  return {{error.message, std::move(type), std::move(param),
           error.code.empty() ? std::nullopt : std::optional<std::string>(error.code)}};
}

http::Response error_response(const core::Error& error) {
  auto response = http::Response::json(api::Codec<ErrorResponse>::write(to_openai(error)),
                                       static_cast<http::Status>(openai_status(error)));
  if (error.status == 503) response.set_header(http::Field::retry_after, "1");  // queue full, at capacity
  return response;
}

core::Error invalid(std::string param, std::string message, std::string code, unsigned status) {
  return {status, std::move(code), std::move(message), json::object{{"param", std::move(param)}}};
}

std::string new_id(std::string_view prefix) {
  static std::atomic<std::uint64_t> counter{std::random_device{}()};
  return fmt::format("{}-{:016x}", prefix, counter.fetch_add(0x9e3779b97f4a7c15ULL));
}

std::int64_t unix_now() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

api::ErrorFormat error_format() {
  return {.respond = error_response,
          .validation_status = 400,
          .schema = [](api::SchemaRegistry& registry) { return api::Codec<ErrorResponse>::schema(registry); }};
}

}  // namespace sluice::ai::openai
