#pragma once
// Bounds on what one model request may ask for (see docs/operations.md, "Bounded memory").

#include <cstddef>

namespace sluice::app {

/// What one request may ask for, so that no request can take the server's memory (a 1.2 MB
/// body of 200,000 one-character inputs once grew it to 23 GB). OpenAI's own limits where it has
/// them: 2,048 inputs per embeddings request, 8,192 tokens per input.
struct RequestLimits {
  std::size_t max_inputs = 2048;             // embeddings inputs per request
  std::size_t max_messages = 1024;           // chat messages per request
  std::size_t max_completion_tokens = 4096;  // largest `max_tokens` a client may ask for
  std::size_t max_response_bytes = 64 << 20; // embeddings answers estimated larger are refused up front
};

}  // namespace sluice::app
