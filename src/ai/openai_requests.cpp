#include "openai_requests.hpp"

#include "sluice/api/bind.hpp"
#include "sluice/core/json_text.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <bit>

namespace sluice::ai::openai {

namespace json = boost::json;

namespace {

/// The text of a chat message: its string, or its text parts joined.
core::Result<std::string> message_text(const ChatMessage& message, std::size_t index) {
  if (!message.content) return std::string();
  if (const auto* text = std::get_if<std::string>(&*message.content)) return *text;
  std::string out;
  for (const auto& part : std::get<std::vector<ContentPart>>(*message.content)) {
    if (part.type != "text" || !part.text)
      return invalid(fmt::format("messages.[{}].content", index),
                     fmt::format("Content parts of type '{}' are not supported: send text", part.type));
    out += *part.text;
  }
  return out;
}

core::Result<ai::ResponseFormat> response_format(const ResponseFormat& format) {
  ai::ResponseFormat out;
  if (format.type == "text") {
    out.type = ai::ResponseFormat::Type::text;
  } else if (format.type == "json_object") {
    out.type = ai::ResponseFormat::Type::json_object;
  } else if (format.type == "json_schema") {
    const auto* schema = format.json_schema && format.json_schema->schema ? format.json_schema->schema->if_object()
                                                                          : nullptr;
    if (!schema)
      return invalid("response_format.json_schema.schema",
                     "'response_format' of type 'json_schema' needs 'json_schema.schema', an object");
    out.type = ai::ResponseFormat::Type::json_schema;
    out.schema = core::json_text(*schema);
    out.name = format.json_schema->name.value_or("");
    out.is_strict = format.json_schema->strict.value_or(false);
  } else {
    return invalid("response_format.type", "'response_format.type' must be 'text', 'json_object' or 'json_schema'");
  }
  return out;
}

bool is_empty_list(const json::value& v) { return v.is_null() || (v.is_array() && v.as_array().empty()); }

/// tools / tool_choice / functions: recorded (whether a model can call them is for
/// unsupported_field to say), and OpenAI's own 400s for a choice that names no tool.
std::optional<core::Error> tool_fields(const CompletionOptions& wire, CompletionCall& out) {
  for (const auto* field : {&wire.tools, &wire.functions}) {
    if (!*field || field->value().is_null()) continue;
    if (!field->value().is_array())
      return invalid(field == &wire.tools ? "tools" : "functions", "must be an array of tool definitions");
    out.asks_tools |= !is_empty_list(field->value());
  }
  for (const auto* choice : {&wire.tool_choice, &wire.function_call}) {
    if (!*choice || choice->value().is_null()) continue;
    const auto& value = choice->value();
    const bool is_none = value.is_string() && (value.as_string() == "none" || value.as_string() == "auto");
    if (!is_none && !out.asks_tools)
      return invalid(choice == &wire.tool_choice ? "tool_choice" : "function_call",
                     "'tool_choice' is only allowed when 'tools' are specified");
  }
  return std::nullopt;
}

/// The model and sampling fields chat and text completions share.
core::Result<CompletionCall> completion_options(const CompletionOptions& wire, const RequestLimits& limits) {
  CompletionCall out;
  out.generation.model = wire.model.value_or("");
  auto& params = out.generation.params;
  const auto& asked = wire.max_completion_tokens ? wire.max_completion_tokens : wire.max_tokens;
  if (asked && static_cast<std::size_t>(**asked) > limits.max_completion_tokens)
    return invalid(wire.max_completion_tokens ? "max_completion_tokens" : "max_tokens",
                   fmt::format("'max_tokens' must be an integer from 1 to {}", limits.max_completion_tokens),
                   "max_tokens_too_large");
  params.max_tokens =
      asked ? static_cast<std::size_t>(**asked) : std::min(params.max_tokens, limits.max_completion_tokens);
  params.temperature = wire.temperature ? **wire.temperature : 1.0;
  params.top_p = wire.top_p ? **wire.top_p : 1.0;
  params.seed = wire.seed;
  params.top_k = wire.top_k ? static_cast<int>(**wire.top_k) : 0;
  params.min_p = wire.min_p ? **wire.min_p : 0.0;
  params.presence_penalty = wire.presence_penalty ? **wire.presence_penalty : 0.0;
  params.frequency_penalty = wire.frequency_penalty ? **wire.frequency_penalty : 0.0;
  params.ignore_eos = wire.ignore_eos.value_or(false);
  if (wire.response_format) {
    auto format = response_format(*wire.response_format);
    if (!format) return format.error();
    params.response_format = std::move(*format);
  }
  if (wire.stop) {
    if (const auto* one = std::get_if<std::string>(&*wire.stop)) params.stop.push_back(*one);
    else params.stop = **std::get_if<1>(&*wire.stop);
  }
  out.is_stream = wire.stream.value_or(false);
  out.include_usage = wire.stream_options && wire.stream_options->include_usage.value_or(false);
  if (auto refused = tool_fields(wire, out)) return *refused;
  if (wire.logprobs && !wire.logprobs->is_null()) {
    const auto& asked = *wire.logprobs;
    if (!asked.is_bool() && !asked.is_int64())
      return invalid("logprobs", "'logprobs' must be a boolean (chat) or an integer (completions)");
    out.asks_logprobs = asked.is_bool() ? asked.get_bool() : asked.get_int64() > 0;
  }
  if (wire.top_logprobs && **wire.top_logprobs > 0 && !out.asks_logprobs)
    return invalid("top_logprobs", "'top_logprobs' needs 'logprobs' to be true");
  if (wire.logit_bias && !wire.logit_bias->is_null() &&
      !(wire.logit_bias->is_object() && wire.logit_bias->as_object().empty()))
    return invalid("logit_bias", "'logit_bias' is not supported by Sluice's models: send the request without it",
                   "unsupported_parameter");
  return out;
}

}  // namespace

core::Result<EmbeddingsCall> to_call(EmbeddingsRequest wire, const RequestLimits& limits) {
  EmbeddingsCall out;
  if (auto* one = std::get_if<std::string>(&wire.input)) {
    out.input.push_back(std::move(*one));
  } else {
    auto& many = std::get_if<1>(&wire.input)->value;
    if (many.size() > limits.max_inputs)
      return invalid("input",
                     fmt::format("'input' may hold at most {} items; send the rest in further requests",
                                 limits.max_inputs),
                     "too_many_inputs");
    out.input = std::move(many);
  }
  out.model = wire.model.value_or("");
  const auto format = wire.encoding_format.value_or("float");
  if (format != "float" && format != "base64")
    return invalid("encoding_format", "'encoding_format' must be 'float' or 'base64'");
  out.is_base64 = format == "base64";
  if (wire.dimensions) out.dimensions = static_cast<std::size_t>(**wire.dimensions);
  return out;
}

core::Result<CompletionCall> to_call(ChatCompletionRequest wire, const RequestLimits& limits) {
  const auto& messages = wire.messages.value;
  if (messages.size() > limits.max_messages)
    return invalid("messages", fmt::format("'messages' may hold at most {} messages", limits.max_messages),
                   "too_many_messages");
  auto out = completion_options(wire, limits);
  if (!out) return out;
  for (std::size_t i = 0; i < messages.size(); ++i) {
    auto text = message_text(messages[i], i);
    if (!text) return text.error();
    out->generation.messages.push_back({messages[i].role, std::move(*text)});
  }
  return out;
}

core::Result<CompletionCall> to_call(CompletionRequest wire, const RequestLimits& limits) {
  auto out = completion_options(wire, limits);
  if (!out) return out;
  if (wire.echo.value_or(false))
    return invalid("echo", "'echo' is not supported: the prompt is not repeated in the answer", "unsupported_parameter");
  if (wire.best_of.value_or(1) != 1)
    return invalid("best_of", "'best_of' must be 1: one completion is generated", "unsupported_parameter");
  if (!wire.suffix.value_or("").empty())
    return invalid("suffix", "'suffix' is not supported: no insertion mode", "unsupported_parameter");
  if (auto* one = std::get_if<std::string>(&wire.prompt)) out->generation.prompt = std::move(*one);
  else out->generation.prompt = std::move(std::get_if<1>(&wire.prompt)->value.front());
  return out;
}

std::optional<core::Error> unsupported_field(const CompletionCall& call, const ai::GeneratorFeatures& features,
                                             std::string_view model) {
  auto refuse = [&](std::string param, std::string_view what) {
    return invalid(std::move(param),
                   fmt::format("The model '{}' cannot {}: send the request without it, or ask a model that can", model,
                               what),
                   "unsupported_parameter");
  };
  if (call.asks_tools && !features.tools) return refuse("tools", "call tools ('tools')");
  using Format = ai::ResponseFormat::Type;
  const auto format = call.generation.params.response_format.type;
  if (format == Format::json_object && !features.json_object)
    return refuse("response_format", "guarantee JSON output ('response_format' json_object)");
  if (format == Format::json_schema && !features.json_schema)
    return refuse("response_format", "follow a JSON schema ('response_format' json_schema)");
  if (call.asks_logprobs && !features.logprobs) return refuse("logprobs", "report log-probabilities ('logprobs')");
  return std::nullopt;
}

core::Result<EmbeddingsCall> parse_embeddings(std::string_view body, const RequestLimits& limits) {
  auto read = api::read_body<EmbeddingsRequest>(body);
  if (!read) return read.error();
  return to_call(std::move(*read), limits);
}

core::Result<CompletionCall> parse_completion(std::string_view body, bool is_chat, const RequestLimits& limits) {
  if (!is_chat) {
    auto read = api::read_body<CompletionRequest>(body);
    if (!read) return read.error();
    return to_call(std::move(*read), limits);
  }
  auto read = api::read_body<ChatCompletionRequest>(body);
  if (!read) return read.error();
  return to_call(std::move(*read), limits);
}

std::size_t estimated_embeddings_bytes(std::size_t inputs, std::size_t dimensions, bool is_base64) {
  // A float as JSON text is at most ~16 characters ("-0.0123456789012,"); as base64, 4 bytes → 5.34.
  const std::size_t per_float = is_base64 ? 6 : 16, per_item = 64;
  return inputs * (dimensions * per_float + per_item);
}

std::string base64_floats(const Vector& v) {
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

Usage usage_of(const ai::Usage& usage) {
  const auto prompt = static_cast<std::int64_t>(usage.prompt_tokens);
  const auto completion = static_cast<std::int64_t>(usage.completion_tokens);
  return {prompt, completion, prompt + completion};
}

}  // namespace sluice::ai::openai
