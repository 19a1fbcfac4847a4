#pragma once
// From OpenAI's typed requests (ai/openai.hpp) to the calls the routes make on the models: the
// checks a model cannot express (the server's limits, which content parts are read), and the
// helpers the responses need. Pure functions; the routes are in openai_routes.cpp.

#include "sluice/ai/embedder.hpp"
#include "sluice/ai/generator.hpp"
#include "sluice/ai/openai.hpp"
#include "sluice/ai/openai_routes.hpp"
#include "sluice/core/error.hpp"

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace sluice::ai::openai {

/// The embeddings a request asks for, within the server's limits.
struct EmbeddingsCall {
  std::vector<std::string> input;
  std::string model;
  bool is_base64 = false;
  std::optional<std::size_t> dimensions;
};

/// The completion a request asks for, within the server's limits.
struct CompletionCall {
  ai::GenerationRequest generation;  // its `model`: the one asked for, empty for the default
  bool is_stream = false;
  bool include_usage = false;  // stream_options.include_usage: a last chunk with usage
  bool asks_tools = false;     // tools or functions were sent
  bool asks_logprobs = false;  // logprobs (or top_logprobs) were asked for
};

/// The 400 for the first field of `call` that the model answering it (`model`, whose
/// `features` these are) cannot honour; none when it can honour them all.
std::optional<core::Error> unsupported_field(const CompletionCall& call, const ai::GeneratorFeatures& features,
                                             std::string_view model);

core::Result<EmbeddingsCall> to_call(EmbeddingsRequest request, const RequestLimits& limits = {});
core::Result<CompletionCall> to_call(ChatCompletionRequest request, const RequestLimits& limits = {});
core::Result<CompletionCall> to_call(CompletionRequest request, const RequestLimits& limits = {});

/// A body that arrives another way (a batch line), read exactly as the route reads it.
core::Result<EmbeddingsCall> parse_embeddings(std::string_view body, const RequestLimits& limits = {});
/// `is_chat`: /v1/chat/completions (messages) or /v1/completions (prompt).
core::Result<CompletionCall> parse_completion(std::string_view body, bool is_chat,
                                                 const RequestLimits& limits = {});

/// An upper bound of the JSON size of `inputs` embeddings of `dimensions` floats, so that a
/// huge answer is refused before it is computed.
std::size_t estimated_embeddings_bytes(std::size_t inputs, std::size_t dimensions, bool is_base64);

/// Little-endian float32 bytes, base64-encoded (OpenAI's `encoding_format: "base64"`).
std::string base64_floats(const Vector& v);

Usage usage_of(const ai::Usage& usage);

}  // namespace sluice::ai::openai
