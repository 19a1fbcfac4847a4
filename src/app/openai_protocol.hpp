#pragma once
// OpenAI's wire format: reading request bodies into the ai layer's types, writing responses,
// and OpenAI's error object. Pure functions; the routes are in openai_routes.cpp.

#include "request_limits.hpp"

#include "sluice/ai/embedder.hpp"
#include "sluice/ai/generator.hpp"
#include "sluice/core/error.hpp"
#include "sluice/http/response.hpp"

#include <boost/json/object.hpp>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace sluice::app::openai {

/// An error in OpenAI's shape, with what the body needs: {"error":{"message","type","param","code"}}.
struct ApiError {
  unsigned status = 400;
  std::string message;
  std::string type = "invalid_request_error";
  std::string param;  // empty: null
  std::string code;   // empty: null
};

http::Response error_response(const ApiError& error);
/// The body of error_response: {"error":{...}}.
boost::json::object error_json(const ApiError& error);
/// A library error (queue_full, upstream_timeout, ...) in OpenAI's shape, same status.
ApiError from_core(const core::Error& error);

struct EmbeddingsRequest {
  std::vector<std::string> input;
  std::string model;
  bool is_base64 = false;
  std::optional<std::size_t> dimensions;
};

struct CompletionRequest {
  std::string model;
  ai::GenerationRequest generation;
  bool is_stream = false;
  bool include_usage = false;  // stream_options.include_usage: a last chunk with usage
};

template <class T>
struct Parsed {
  std::optional<T> value;
  ApiError error;
};

Parsed<EmbeddingsRequest> parse_embeddings(std::string_view body, const RequestLimits& limits = {});
/// `is_chat`: /v1/chat/completions (messages) or /v1/completions (prompt).
Parsed<CompletionRequest> parse_completion(std::string_view body, bool is_chat, const RequestLimits& limits = {});
/// An upper bound of the JSON size of `inputs` embeddings of `dimensions` floats, so that a
/// huge answer is refused before it is computed.
std::size_t estimated_embeddings_bytes(std::size_t inputs, std::size_t dimensions, bool is_base64);

/// Little-endian float32 bytes, base64-encoded (OpenAI's `encoding_format: "base64"`).
std::string base64_floats(const ai::Vector& v);

boost::json::object usage_json(const ai::Usage& usage);
/// A fresh id with OpenAI's prefix, e.g. "chatcmpl-3f9a…".
std::string new_id(std::string_view prefix);
std::int64_t unix_now();

}  // namespace sluice::app::openai
