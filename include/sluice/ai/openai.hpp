#pragma once
// OpenAI's wire format as typed models: the one definition of requests, responses, stream
// chunks, usage and errors, used by the server's /v1 routes and by RemoteProvider, their
// client. Field names are OpenAI's. Reading ignores fields a model does not name, so newer
// clients and other providers (llama.cpp's server, vLLM, Ollama) keep working; fields a
// provider may leave out have defaults.

#include "sluice/api/error_format.hpp"
#include "sluice/api/model.hpp"
#include "sluice/core/error.hpp"

#include <boost/describe/class.hpp>
#include <boost/json/value.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace sluice::ai::openai {

using api::Field;
using api::Ge;
using api::Le;
using api::MaxLength;
using api::MinLength;
using api::WithDefault;
using Count = Field<std::int64_t, WithDefault>;
using Text = Field<std::string, WithDefault>;

// ---- errors ----------------------------------------------------------------------------

struct ErrorObject {
  std::string message;
  std::string type;
  std::optional<std::string> param;
  std::optional<std::string> code;
};
BOOST_DESCRIBE_STRUCT(ErrorObject, (), (message, type, param, code))

struct ErrorResponse {
  ErrorObject error;
};
BOOST_DESCRIBE_STRUCT(ErrorResponse, (), (error))

/// A library error in OpenAI's shape: invalid input (422 `validation_error`) becomes 400
/// `invalid_request_error` naming the first bad parameter as OpenAI does ("messages.[0].role");
/// 429 is `rate_limit_error`, 5xx `server_error`; the library's code is kept as `code`.
ErrorResponse to_openai(const core::Error& error);
/// The status `to_openai(error)` is sent with.
unsigned openai_status(const core::Error& error);
/// `error` as an HTTP response in OpenAI's shape (503s carry Retry-After).
http::Response error_response(const core::Error& error);
/// The /v1 routes' error format (api::RouteDoc::errors).
api::ErrorFormat error_format();
/// A failure that names the parameter at fault: `status` with {"error":{..., "param": param}}
/// once answered in OpenAI's shape.
core::Error invalid(std::string param, std::string message, std::string code = "invalid_request",
                    unsigned status = 400);

/// A fresh id with OpenAI's prefix, e.g. "chatcmpl-3f9a…".
std::string new_id(std::string_view prefix);
/// Seconds since the epoch: OpenAI's `created`.
std::int64_t unix_now();

// ---- usage -----------------------------------------------------------------------------

struct Usage {
  Count prompt_tokens = 0;
  Count completion_tokens = 0;
  Count total_tokens = 0;
};
BOOST_DESCRIBE_STRUCT(Usage, (), (prompt_tokens, completion_tokens, total_tokens))

struct EmbeddingsUsage {
  Count prompt_tokens = 0;
  Count total_tokens = 0;
};
BOOST_DESCRIBE_STRUCT(EmbeddingsUsage, (), (prompt_tokens, total_tokens))

// ---- /v1/embeddings --------------------------------------------------------------------

struct EmbeddingsRequest {
  /// One text or several (token arrays are not supported).
  std::variant<std::string, Field<std::vector<std::string>, MinLength<1>>> input;
  std::optional<std::string> model;
  /// "float" or "base64" (little-endian float32).
  std::optional<std::string> encoding_format;
  /// Shorter vectors, where the model allows it.
  std::optional<Field<std::int64_t, Ge<1>, Le<65536>>> dimensions;
  std::optional<std::string> user;
  static constexpr bool omit_null_fields = true;
};
BOOST_DESCRIBE_STRUCT(EmbeddingsRequest, (), (input, model, encoding_format, dimensions, user))

struct Embedding {
  Text object = std::string("embedding");
  Count index = 0;
  /// Floats, or their bytes in base64 (`encoding_format: "base64"`).
  std::variant<std::vector<float>, std::string> embedding;
};
BOOST_DESCRIBE_STRUCT(Embedding, (), (object, index, embedding))

struct EmbeddingsResponse {
  Text object = std::string("list");
  std::vector<Embedding> data;
  Text model;
  Field<EmbeddingsUsage, WithDefault> usage;
};
BOOST_DESCRIBE_STRUCT(EmbeddingsResponse, (), (object, data, model, usage))

// ---- /v1/chat/completions and /v1/completions ------------------------------------------

struct ContentPart {
  std::string type;  // "text"; other kinds (images, audio) are refused
  std::optional<std::string> text;
  static constexpr bool omit_null_fields = true;
};
BOOST_DESCRIBE_STRUCT(ContentPart, (), (type, text))

struct ChatMessage {
  std::string role;
  /// A string, or parts of which the text ones are read.
  std::optional<std::variant<std::string, std::vector<ContentPart>>> content;
  std::optional<std::string> name;
  static constexpr bool omit_null_fields = true;
};
BOOST_DESCRIBE_STRUCT(ChatMessage, (), (role, content, name))

struct JsonSchemaFormat {
  std::optional<std::string> name;
  std::optional<std::string> description;
  std::optional<boost::json::value> schema;
  std::optional<bool> strict;
  static constexpr bool omit_null_fields = true;
};
BOOST_DESCRIBE_STRUCT(JsonSchemaFormat, (), (name, description, schema, strict))

struct ResponseFormat {
  std::string type;  // "text", "json_object" or "json_schema"
  std::optional<JsonSchemaFormat> json_schema;
  static constexpr bool omit_null_fields = true;
};
BOOST_DESCRIBE_STRUCT(ResponseFormat, (), (type, json_schema))

struct StreamOptions {
  std::optional<bool> include_usage;
  static constexpr bool omit_null_fields = true;
};
BOOST_DESCRIBE_STRUCT(StreamOptions, (), (include_usage))

// Integer bounds: clang 14 (the fuzz build) has no floating-point template arguments.
using Probability = Field<double, Ge<0>, Le<1>>;
using Penalty = Field<double, Ge<-2>, Le<2>>;

/// What chat and text completions share: the model, sampling and streaming.
struct CompletionOptions {
  std::optional<std::string> model;
  std::optional<Field<std::int64_t, Ge<1>>> max_tokens;
  std::optional<Field<std::int64_t, Ge<1>>> max_completion_tokens;
  std::optional<Field<double, Ge<0>, Le<2>>> temperature;
  std::optional<Probability> top_p;
  std::optional<std::int64_t> seed;
  std::optional<Field<std::int64_t, Ge<0>, Le<1000000>>> top_k;  // llama.cpp's extension
  std::optional<Probability> min_p;                              // llama.cpp's extension
  std::optional<Penalty> presence_penalty;
  std::optional<Penalty> frequency_penalty;
  std::optional<bool> ignore_eos;  // llama.cpp's extension
  std::optional<Field<std::int64_t, Ge<1>, Le<1>>> n;
  std::optional<std::variant<std::string, Field<std::vector<std::string>, MaxLength<4>>>> stop;
  std::optional<bool> stream;
  std::optional<StreamOptions> stream_options;
  std::optional<ResponseFormat> response_format;
  std::optional<std::string> user;
  // Read so that a model which cannot honour them refuses them by name (400) instead of
  // answering as if they had not been sent.
  std::optional<boost::json::value> tools;          // [{type: "function", function: {name, ...}}]
  std::optional<boost::json::value> tool_choice;    // "none", "auto", "required" or {type, function: {name}}
  std::optional<bool> parallel_tool_calls;
  std::optional<boost::json::value> functions;      // the deprecated form of tools
  std::optional<boost::json::value> function_call;  // ... and of tool_choice
  std::optional<boost::json::value> logprobs;       // chat: a boolean; text completions: 0–5
  std::optional<Field<std::int64_t, Ge<0>, Le<20>>> top_logprobs;
  std::optional<boost::json::value> logit_bias;     // token id → bias
  static constexpr bool omit_null_fields = true;
};
BOOST_DESCRIBE_STRUCT(CompletionOptions, (),
                      (model, max_tokens, max_completion_tokens, temperature, top_p, seed, top_k, min_p,
                       presence_penalty, frequency_penalty, ignore_eos, n, stop, stream, stream_options,
                       response_format, user, tools, tool_choice, parallel_tool_calls, functions, function_call,
                       logprobs, top_logprobs, logit_bias))

struct ChatCompletionRequest : CompletionOptions {
  Field<std::vector<ChatMessage>, MinLength<1>> messages;
};
BOOST_DESCRIBE_STRUCT(ChatCompletionRequest, (CompletionOptions), (messages))

struct CompletionRequest : CompletionOptions {
  /// A string, or an array of one string.
  std::variant<std::string, Field<std::vector<std::string>, MinLength<1>, MaxLength<1>>> prompt;
  std::optional<bool> echo;                  // refused when true: the prompt is not echoed
  std::optional<std::int64_t> best_of;       // refused above 1
  std::optional<std::string> suffix;         // refused when not empty: no insertion mode
};
BOOST_DESCRIBE_STRUCT(CompletionRequest, (CompletionOptions), (prompt, echo, best_of, suffix))

struct ChatChoice {
  Count index = 0;
  ChatMessage message;
  std::optional<boost::json::value> logprobs;
  std::optional<std::string> finish_reason;
};
BOOST_DESCRIBE_STRUCT(ChatChoice, (), (index, message, logprobs, finish_reason))

struct ChatCompletion {
  Text id;
  Text object = std::string("chat.completion");
  Count created = 0;
  Text model;
  Field<std::vector<ChatChoice>, WithDefault> choices;
  std::optional<Usage> usage;
};
BOOST_DESCRIBE_STRUCT(ChatCompletion, (), (id, object, created, model, choices, usage))

struct Delta {
  std::optional<std::string> role;
  std::optional<std::string> content;
  static constexpr bool omit_null_fields = true;
};
BOOST_DESCRIBE_STRUCT(Delta, (), (role, content))

struct ChunkChoice {
  Count index = 0;
  Field<Delta, WithDefault> delta;
  std::optional<boost::json::value> logprobs;
  std::optional<std::string> finish_reason;
};
BOOST_DESCRIBE_STRUCT(ChunkChoice, (), (index, delta, logprobs, finish_reason))

/// One Server-Sent Event of a streamed chat completion; the last may carry only usage.
struct ChatCompletionChunk {
  Text id;
  Text object = std::string("chat.completion.chunk");
  Count created = 0;
  Text model;
  Field<std::vector<ChunkChoice>, WithDefault> choices;
  std::optional<Usage> usage;
  static constexpr bool omit_null_fields = true;
};
BOOST_DESCRIBE_STRUCT(ChatCompletionChunk, (), (id, object, created, model, choices, usage))

struct TextChoice {
  Count index = 0;
  std::string text;
  std::optional<boost::json::value> logprobs;
  std::optional<std::string> finish_reason;
};
BOOST_DESCRIBE_STRUCT(TextChoice, (), (index, text, logprobs, finish_reason))

/// A text completion, and each chunk of a streamed one (without usage until the last).
struct TextCompletion {
  Text id;
  Text object = std::string("text_completion");
  Count created = 0;
  Text model;
  Field<std::vector<TextChoice>, WithDefault> choices;
  std::optional<Usage> usage;
  static constexpr bool omit_null_fields = true;
};
BOOST_DESCRIBE_STRUCT(TextCompletion, (), (id, object, created, model, choices, usage))

// ---- /v1/models ------------------------------------------------------------------------

struct ModelInfo {
  std::string id;
  std::string object = "model";
  std::int64_t created = 0;
  std::string owned_by = "sluice";
  /// Not in OpenAI's shape: what a client of a local model needs to size its prompts.
  std::optional<std::int64_t> context_length;
  std::optional<std::int64_t> parameters;
  static constexpr bool omit_null_fields = true;
};
BOOST_DESCRIBE_STRUCT(ModelInfo, (), (id, object, created, owned_by, context_length, parameters))

struct ModelList {
  std::string object = "list";
  std::vector<ModelInfo> data;
};
BOOST_DESCRIBE_STRUCT(ModelList, (), (object, data))

}  // namespace sluice::ai::openai
