#pragma once
// Generators: a prompt or chat messages plus sampling parameters in, text out, streamed as it
// is produced.

#include "sluice/core/error.hpp"

#include <boost/asio/awaitable.hpp>

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace sluice::ai {

/// One chat message: role "system", "user" or "assistant".
struct ChatMessage {
  std::string role;
  std::string content;
};

/// OpenAI's sampling parameters. A provider uses those its model has; the built-in extractive
/// generator is deterministic and honours only max_tokens and stop.
struct SamplingParams {
  std::size_t max_tokens = 256;
  double temperature = 1.0;
  double top_p = 1.0;
  std::vector<std::string> stop;
  std::optional<std::int64_t> seed;
};

/// What to generate from: chat `messages`, or a plain `prompt` when messages is empty.
/// `context` is extra material (retrieved passages) for the generator to answer from.
struct GenerationRequest {
  std::vector<ChatMessage> messages;
  std::string prompt;
  std::string context;
  SamplingParams params;
};

struct Usage {
  std::size_t prompt_tokens = 0;
  std::size_t completion_tokens = 0;
};

struct Generation {
  std::string text;
  std::string finish_reason = "stop";  // "stop" or "length"
  Usage usage;
};

/// Receives each piece of text as it is generated, on the caller's IO thread. Returns false
/// when nobody listens any more (client gone): the generator stops then.
using PieceSink = std::function<boost::asio::awaitable<bool>(std::string piece)>;

/// Prompt/messages → text. generate() streams pieces through `on_piece` (may be empty) and
/// returns the whole text with usage counts. Expected failures are values.
class Generator {
 public:
  virtual ~Generator() = default;
  virtual std::string model() const = 0;
  virtual boost::asio::awaitable<core::Result<Generation>> generate(GenerationRequest request, PieceSink on_piece) = 0;
};

/// The text of `request` as one prompt: its `prompt`, or the messages' contents joined.
std::string prompt_text(const GenerationRequest& request);

}  // namespace sluice::ai
