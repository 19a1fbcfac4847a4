// OpenAI request bodies as clients send them to /v1/embeddings, /v1/chat/completions and
// /v1/completions: read into the typed models (ai/openai.hpp) and checked against the server's
// limits, then checked for what the limits promise.
#include "openai_requests.hpp"

#include <cstddef>
#include <cstdint>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace sluice::ai;
  const std::string_view body(reinterpret_cast<const char*>(data), size);
  const openai::RequestLimits limits{.max_inputs = 16, .max_messages = 8, .max_completion_tokens = 100};
  auto embeddings = openai::parse_embeddings(body, limits);
  if (embeddings && embeddings->input.size() > limits.max_inputs) __builtin_trap();
  // Every refusal must be expressible in OpenAI's shape, as the routes answer it.
  if (!embeddings && openai::openai_status(embeddings.error()) < 400) __builtin_trap();
  for (bool is_chat : {true, false}) {
    auto completion = openai::parse_completion(body, is_chat, limits);
    if (!completion) {
      (void)openai::to_openai(completion.error());
      continue;
    }
    const auto& generation = completion->generation;
    if (generation.messages.size() > limits.max_messages) __builtin_trap();
    if (generation.params.max_tokens > limits.max_completion_tokens)
      __builtin_trap();
  }
  return 0;
}
