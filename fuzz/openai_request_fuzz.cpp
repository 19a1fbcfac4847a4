// OpenAI request bodies as clients send them to /v1/embeddings, /v1/chat/completions and
// /v1/completions: parsed with the server's limits, then checked for what the limits promise.
#include "openai_protocol.hpp"

#include <cstddef>
#include <cstdint>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace sluice::app;
  const std::string_view body(reinterpret_cast<const char*>(data), size);
  const RequestLimits limits{.max_inputs = 16, .max_messages = 8, .max_completion_tokens = 100};
  auto embeddings = openai::parse_embeddings(body, limits);
  if (embeddings.value && embeddings.value->input.size() > limits.max_inputs) __builtin_trap();
  for (bool is_chat : {true, false}) {
    auto completion = openai::parse_completion(body, is_chat, limits);
    if (!completion.value) continue;
    const auto& generation = completion.value->generation;
    if (generation.messages.size() > limits.max_messages) __builtin_trap();
    if (generation.params.max_tokens > limits.max_completion_tokens)
      __builtin_trap();
  }
  return 0;
}
