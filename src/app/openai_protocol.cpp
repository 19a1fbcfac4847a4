#include "openai_protocol.hpp"

#include <fmt/format.h>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <algorithm>
#include <atomic>
#include <bit>
#include <chrono>
#include <cmath>
#include <cstring>
#include <random>

namespace sluice::app::openai {

namespace json = boost::json;

json::object error_json(const ApiError& error) {
  json::object body{{"message", error.message},
                    {"type", error.type},
                    {"param", error.param.empty() ? json::value(nullptr) : json::value(error.param)},
                    {"code", error.code.empty() ? json::value(nullptr) : json::value(error.code)}};
  return json::object{{"error", std::move(body)}};
}

http::Response error_response(const ApiError& error) {
  auto response = http::Response::json(error_json(error), static_cast<http::Status>(error.status));
  if (error.status == 503) response.set_header(http::Field::retry_after, "1");  // queue full, at capacity
  return response;
}

ApiError from_core(const core::Error& error) {
  std::string type = error.status == 429   ? "rate_limit_error"
                     : error.status == 401 ? "authentication_error"
                     : error.status >= 500 ? "server_error"
                                           : "invalid_request_error";
  return {error.status, error.message, std::move(type), "", error.code};
}

namespace {

ApiError invalid(std::string param, std::string message, std::string code = {}) {
  return {400, std::move(message), "invalid_request_error", std::move(param), std::move(code)};
}

/// Reads the typed fields of a request object, stopping at the first problem (OpenAI reports one).
class Fields {
 public:
  explicit Fields(const json::object& object) : object_(object) {}
  std::optional<ApiError> error;

  const json::value* find(std::string_view name) const {
    auto* v = object_.if_contains(name);
    return v && !v->is_null() ? v : nullptr;
  }
  std::optional<std::string> string(std::string_view name) {
    auto* v = find(name);
    if (!v) return std::nullopt;
    if (!v->is_string()) return fail(name, "must be a string");
    return std::string(v->get_string());
  }
  std::optional<double> number(std::string_view name, double low, double high) {
    auto* v = find(name);
    if (!v) return std::nullopt;
    if (!v->is_number() || v->to_number<double>() < low || v->to_number<double>() > high)
      return fail(name, fmt::format("must be a number from {} to {}", low, high));
    return v->to_number<double>();
  }
  std::optional<std::int64_t> integer(std::string_view name, std::int64_t low, std::int64_t high) {
    auto* v = find(name);
    if (!v) return std::nullopt;
    std::int64_t n = 0;
    if (v->is_int64())
      n = v->get_int64();
    else if (v->is_uint64() && v->get_uint64() <= static_cast<std::uint64_t>(high))
      n = static_cast<std::int64_t>(v->get_uint64());
    else if (v->is_double() && std::trunc(v->get_double()) == v->get_double() && std::abs(v->get_double()) < 9e15)
      n = static_cast<std::int64_t>(v->get_double());
    else
      return fail(name, "must be an integer");
    if (n < low || n > high) return fail(name, fmt::format("must be an integer from {} to {}", low, high));
    return n;
  }
  std::optional<bool> boolean(std::string_view name) {
    auto* v = find(name);
    if (!v) return std::nullopt;
    if (!v->is_bool()) return fail(name, "must be a boolean");
    return v->get_bool();
  }

  std::nullopt_t fail(std::string_view name, std::string_view what) {
    if (!error) error = invalid(std::string(name), fmt::format("'{}' {}", name, what));
    return std::nullopt;
  }

 private:
  const json::object& object_;
};

std::optional<json::object> parse_object(std::string_view body, ApiError& error) {
  boost::system::error_code ec;
  auto value = json::parse(body, ec);
  if (ec || !value.is_object()) {
    error = invalid("", ec ? fmt::format("The request body is not valid JSON: {}", ec.message())
                           : std::string("The request body must be a JSON object"));
    return std::nullopt;
  }
  return std::move(value.get_object());
}

/// `content` of a chat message: a string, or an array of parts of which the text ones count.
std::optional<std::string> message_content(const json::value& content) {
  if (content.is_null()) return std::string();
  if (content.is_string()) return std::string(content.get_string());
  if (!content.is_array()) return std::nullopt;
  std::string out;
  for (const auto& part : content.get_array()) {
    const auto* object = part.if_object();
    if (!object) return std::nullopt;
    const auto* type = object->if_contains("type");
    const auto* text = object->if_contains("text");
    if (!type || !type->is_string() || type->get_string() != "text" || !text || !text->is_string()) return std::nullopt;
    out += text->get_string();
  }
  return out;
}

/// `response_format`: {"type":"text"}, {"type":"json_object"} or
/// {"type":"json_schema","json_schema":{"name":...,"schema":{...}}}.
void parse_response_format(const json::value& format, ai::SamplingParams& params, Fields& fields) {
  const auto* object = format.if_object();
  const auto* type = object ? object->if_contains("type") : nullptr;
  if (!type || !type->is_string()) {
    fields.fail("response_format", "must be an object with a string 'type'");
    return;
  }
  auto& out = params.response_format;
  if (type->get_string() == "text") {
    out.type = ai::ResponseFormat::Type::text;
  } else if (type->get_string() == "json_object") {
    out.type = ai::ResponseFormat::Type::json_object;
  } else if (type->get_string() == "json_schema") {
    const auto* spec = object->if_contains("json_schema");
    const auto* schema = spec && spec->is_object() ? spec->get_object().if_contains("schema") : nullptr;
    if (!schema || !schema->is_object()) {
      fields.fail("response_format", "of type 'json_schema' needs 'json_schema.schema', an object");
      return;
    }
    out.type = ai::ResponseFormat::Type::json_schema;
    out.schema = json::serialize(*schema);
  } else {
    fields.fail("response_format", "'type' must be 'text', 'json_object' or 'json_schema'");
  }
}

}  // namespace

Parsed<EmbeddingsRequest> parse_embeddings(std::string_view body, const RequestLimits& limits) {
  Parsed<EmbeddingsRequest> out;
  auto object = parse_object(body, out.error);
  if (!object) return out;
  Fields fields(*object);
  EmbeddingsRequest request;
  const auto* input = fields.find("input");
  if (!input) {
    out.error = invalid("input", "'input' is required");
    return out;
  }
  if (input->is_string()) {
    request.input.emplace_back(input->get_string());
  } else if (input->is_array() && !input->get_array().empty()) {
    if (input->get_array().size() > limits.max_inputs) {
      out.error = invalid("input", fmt::format("'input' may hold at most {} items; send the rest in further requests",
                                               limits.max_inputs), "too_many_inputs");
      return out;
    }
    request.input.reserve(input->get_array().size());
    for (const auto& item : input->get_array()) {
      if (!item.is_string()) {
        out.error =
            invalid("input", "'input' must be a string or an array of strings (token arrays are not supported)");
        return out;
      }
      request.input.emplace_back(item.get_string());
    }
  } else {
    out.error = invalid("input", "'input' must be a string or a non-empty array of strings");
    return out;
  }
  request.model = fields.string("model").value_or("");
  auto format = fields.string("encoding_format").value_or("float");
  if (!fields.error && format != "float" && format != "base64")
    fields.fail("encoding_format", "must be 'float' or 'base64'");
  request.is_base64 = format == "base64";
  if (auto d = fields.integer("dimensions", 1, 65536)) request.dimensions = static_cast<std::size_t>(*d);
  if (fields.error) {
    out.error = *fields.error;
    return out;
  }
  out.value = std::move(request);
  return out;
}

Parsed<CompletionRequest> parse_completion(std::string_view body, bool is_chat, const RequestLimits& limits) {
  Parsed<CompletionRequest> out;
  auto object = parse_object(body, out.error);
  if (!object) return out;
  Fields fields(*object);
  CompletionRequest request;
  auto& generation = request.generation;
  if (is_chat) {
    const auto* messages = fields.find("messages");
    if (!messages || !messages->is_array() || messages->get_array().empty()) {
      out.error = invalid("messages", "'messages' must be a non-empty array");
      return out;
    }
    if (messages->get_array().size() > limits.max_messages) {
      out.error = invalid("messages", fmt::format("'messages' may hold at most {} messages", limits.max_messages),
                          "too_many_messages");
      return out;
    }
    for (std::size_t i = 0; i < messages->get_array().size(); ++i) {
      const auto* message = messages->get_array()[i].if_object();
      const json::value* role = message ? message->if_contains("role") : nullptr;
      const json::value* content = message ? message->if_contains("content") : nullptr;
      auto text = content ? message_content(*content) : std::optional<std::string>(std::string());
      if (!role || !role->is_string() || !text) {
        out.error = invalid(fmt::format("messages.[{}]", i),
                            "each message needs a string 'role' and a string (or text parts) 'content'");
        return out;
      }
      generation.messages.push_back({std::string(role->get_string()), std::move(*text)});
    }
  } else {
    const auto* prompt = fields.find("prompt");
    if (prompt && prompt->is_array() && prompt->get_array().size() == 1 && prompt->get_array()[0].is_string())
      prompt = &prompt->get_array()[0];
    if (!prompt || !prompt->is_string()) {
      out.error = invalid("prompt", "'prompt' must be a string (or an array of one string)");
      return out;
    }
    generation.prompt = std::string(prompt->get_string());
  }
  request.model = fields.string("model").value_or("");
  auto& params = generation.params;
  const auto most = static_cast<std::int64_t>(limits.max_completion_tokens);
  auto max_tokens = fields.integer("max_completion_tokens", 1, most);
  if (!max_tokens) max_tokens = fields.integer("max_tokens", 1, most);
  params.max_tokens = max_tokens ? static_cast<std::size_t>(*max_tokens)
                                 : std::min(params.max_tokens, limits.max_completion_tokens);
  params.temperature = fields.number("temperature", 0, 2).value_or(1.0);
  params.top_p = fields.number("top_p", 0, 1).value_or(1.0);
  params.seed = fields.integer("seed", INT64_MIN, INT64_MAX);
  params.top_k = static_cast<int>(fields.integer("top_k", 0, 1'000'000).value_or(0));
  params.min_p = fields.number("min_p", 0, 1).value_or(0.0);
  params.presence_penalty = fields.number("presence_penalty", -2, 2).value_or(0.0);
  params.frequency_penalty = fields.number("frequency_penalty", -2, 2).value_or(0.0);
  params.ignore_eos = fields.boolean("ignore_eos").value_or(false);
  if (const auto* format = fields.find("response_format")) parse_response_format(*format, params, fields);
  if (fields.integer("n", 1, 1).value_or(1) != 1) fields.fail("n", "must be 1");
  if (const auto* stop = fields.find("stop")) {
    if (stop->is_string())
      params.stop.emplace_back(stop->get_string());
    else if (stop->is_array() && stop->get_array().size() <= 4) {
      for (const auto& s : stop->get_array())
        if (s.is_string())
          params.stop.emplace_back(s.get_string());
        else
          fields.fail("stop", "must be a string or an array of up to 4 strings");
    } else {
      fields.fail("stop", "must be a string or an array of up to 4 strings");
    }
  }
  request.is_stream = fields.boolean("stream").value_or(false);
  if (const auto* options = fields.find("stream_options"); options && options->is_object()) {
    const auto* usage = options->get_object().if_contains("include_usage");
    request.include_usage = usage && usage->is_bool() && usage->get_bool();
  }
  if (fields.error) {
    out.error = *fields.error;
    return out;
  }
  out.value = std::move(request);
  return out;
}

std::size_t estimated_embeddings_bytes(std::size_t inputs, std::size_t dimensions, bool is_base64) {
  // A float as JSON text is at most ~16 characters ("-0.0123456789012,"); as base64, 4 bytes → 5.34.
  const std::size_t per_float = is_base64 ? 6 : 16, per_item = 64;
  return inputs * (dimensions * per_float + per_item);
}

std::string base64_floats(const ai::Vector& v) {
  static constexpr char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string bytes(v.size() * 4, '\0');
  for (std::size_t i = 0; i < v.size(); ++i) {
    auto bits = std::bit_cast<std::uint32_t>(v[i]);
    for (int b = 0; b < 4; ++b)
      bytes[i * 4 + static_cast<std::size_t>(b)] = static_cast<char>((bits >> (8 * b)) & 0xff);
  }
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  for (std::size_t i = 0; i < bytes.size(); i += 3) {
    std::uint32_t chunk = static_cast<std::uint32_t>(static_cast<unsigned char>(bytes[i])) << 16;
    if (i + 1 < bytes.size()) chunk |= static_cast<std::uint32_t>(static_cast<unsigned char>(bytes[i + 1])) << 8;
    if (i + 2 < bytes.size()) chunk |= static_cast<unsigned char>(bytes[i + 2]);
    out += alphabet[(chunk >> 18) & 63];
    out += alphabet[(chunk >> 12) & 63];
    out += i + 1 < bytes.size() ? alphabet[(chunk >> 6) & 63] : '=';
    out += i + 2 < bytes.size() ? alphabet[chunk & 63] : '=';
  }
  return out;
}

json::object usage_json(const ai::Usage& usage) {
  return {{"prompt_tokens", usage.prompt_tokens},
          {"completion_tokens", usage.completion_tokens},
          {"total_tokens", usage.prompt_tokens + usage.completion_tokens}};
}

std::string new_id(std::string_view prefix) {
  static std::atomic<std::uint64_t> counter{std::random_device{}()};
  return fmt::format("{}-{:016x}", prefix, counter.fetch_add(0x9e3779b97f4a7c15ULL));
}

std::int64_t unix_now() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

}  // namespace sluice::app::openai
