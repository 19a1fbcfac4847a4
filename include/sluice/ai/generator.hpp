#pragma once
// Generators: a prompt or chat messages plus sampling parameters in, text out, streamed as it
// is produced.

#include "sluice/ai/model_card.hpp"
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

/// OpenAI's `response_format`: free text, any JSON object, or JSON matching `schema`.
struct ResponseFormat {
  enum class Type { text, json_object, json_schema };
  Type type = Type::text;
  std::string schema;  // json_schema: the schema, serialised JSON
  std::string name;    // json_schema: its name (OpenAI requires one upstream)
  bool is_strict = false;
};

/// What a generator can do beyond free text. A request that asks for more than the model that
/// would answer it can do is refused by name (400) — never answered as if it had not asked.
struct GeneratorFeatures {
  bool json_object = false;  // response_format json_object: the output parses as a JSON object
  bool json_schema = false;  // response_format json_schema: the output validates against it
  bool tools = false;        // tools / tool_choice: calls of the caller's functions
  bool logprobs = false;     // log-probabilities of the chosen (and top) tokens
};

/// OpenAI's sampling parameters. A provider uses those its model has; the built-in extractive
/// generator is deterministic and honours only max_tokens and stop.
struct SamplingParams {
  std::size_t max_tokens = 256;
  double temperature = 1.0;
  double top_p = 1.0;
  std::vector<std::string> stop;
  std::optional<std::int64_t> seed;
  int top_k = 0;        // 0: off (not OpenAI's; llama.cpp's server has it)
  double min_p = 0.0;   // 0: off (likewise)
  double presence_penalty = 0.0;
  double frequency_penalty = 0.0;
  bool ignore_eos = false;  // generate max_tokens whatever the model says (benchmarks)
  ResponseFormat response_format;
};

/// What to generate from: chat `messages`, or a plain `prompt` when messages is empty.
/// `context` is extra material (retrieved passages) for the generator to answer from.
struct GenerationRequest {
  std::string model;  // which of a GeneratorRouter's models; empty: the default
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
  /// Context length and size where known (local models).
  virtual ModelCard card() const { return {}; }
  /// Every model generate() answers for, the default (model()) first: more than one for a
  /// GeneratorRouter.
  virtual std::vector<NamedModel> models() const { return {{model(), card()}}; }
  /// What the model `name` (empty: the default) can do; a GeneratorRouter answers for the
  /// member it would send the request to. Default: free text only.
  virtual GeneratorFeatures features(std::string_view /*name*/) const { return {}; }
  virtual boost::asio::awaitable<core::Result<Generation>> generate(GenerationRequest request, PieceSink on_piece) = 0;
};

/// Whether `generator` answers for the model `name`.
bool serves(const Generator& generator, std::string_view name);

/// The text of `request` as one prompt: its `prompt`, or the messages' contents joined.
std::string prompt_text(const GenerationRequest& request);

}  // namespace sluice::ai
