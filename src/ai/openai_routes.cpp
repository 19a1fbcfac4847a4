#include "sluice/ai/openai_routes.hpp"

#include "openai_requests.hpp"

#include "sluice/ai/openai.hpp"
#include "sluice/core/json_text.hpp"
#include "sluice/http/sse.hpp"

#include <fmt/format.h>

namespace sluice::ai::openai {

namespace asio = boost::asio;
namespace json = boost::json;
using api::Body;
using api::Codec;
using api::Depends;
using http::Response;

namespace {

core::Error unknown_model(std::string_view model) {
  return invalid("model", fmt::format("The model '{}' does not exist", model), "model_not_found", 404);
}

ModelInfo model_entry(const std::string& id, const ai::ModelCard& card) {
  ModelInfo out{.id = id};
  if (card.context_length != 0) out.context_length = static_cast<std::int64_t>(card.context_length);
  if (card.parameters != 0) out.parameters = static_cast<std::int64_t>(card.parameters);
  return out;
}

asio::awaitable<ModelList> list_models(Depends<ai::Embedder> embedder, Depends<ai::Generator> generator) {
  ModelList out;
  for (const auto& entry : generator->models()) out.data.push_back(model_entry(entry.id, entry.card));
  for (const auto& entry : embedder->models())
    if (!ai::serves(*generator, entry.id)) out.data.push_back(model_entry(entry.id, entry.card));
  co_return out;
}

/// The model a completion answers with: the one asked for, or the default.
std::string answering_model(const CompletionCall& request, const ai::Generator& generator) {
  return request.generation.model.empty() ? generator.model() : request.generation.model;
}

bool is_unknown(const CompletionCall& request, const ai::Generator& generator) {
  return !request.generation.model.empty() && !ai::serves(generator, request.generation.model);
}

/// The model exists (is_unknown was asked first); whether it can do what the request asks.
std::optional<core::Error> refusal(const CompletionCall& request, const ai::Generator& generator) {
  return unsupported_field(request, generator.features(request.generation.model),
                           answering_model(request, generator));
}

EmbeddingsResponse embeddings_response(ai::Embeddings result, bool is_base64, std::size_t dimensions,
                                             const std::string& model) {
  EmbeddingsResponse out;
  out.data.reserve(result.vectors.size());
  for (std::size_t i = 0; i < result.vectors.size(); ++i) {
    auto& vector = result.vectors[i];
    if (dimensions != 0 && dimensions < vector.size()) vector = ai::truncate_and_normalise(vector, dimensions);
    Embedding item;
    item.index = static_cast<std::int64_t>(i);
    if (is_base64) item.embedding = base64_floats(vector);
    else item.embedding = std::move(vector);
    out.data.push_back(std::move(item));
  }
  out.model = model;
  const auto tokens = static_cast<std::int64_t>(result.prompt_tokens);
  out.usage = EmbeddingsUsage{tokens, tokens};
  return out;
}

Outcome failure(const core::Error& error) {
  return {openai_status(error), Codec<ErrorResponse>::write(to_openai(error))};
}

Response to_response(Outcome outcome) {
  auto response = Response::json(outcome.body, static_cast<http::Status>(outcome.status));
  if (outcome.status == 503) response.set_header(http::Field::retry_after, "1");  // queue full, at capacity
  return response;
}

asio::awaitable<Outcome> execute_embeddings(EmbeddingsCall request, ai::Embedder& embedders, bool is_background,
                                              const RequestLimits& limits) {
  auto* chosen = embedders.serving(request.model);
  if (!chosen) co_return failure(unknown_model(request.model));
  auto& embedder = *chosen;
  const std::size_t native = embedder.dimension();
  // 0: as the model produces them.
  std::size_t dimensions = request.dimensions.value_or(0);
  if (dimensions != 0 && dimensions != native && (!embedder.supports_dimensions() || dimensions > native))
    co_return failure(invalid("dimensions", embedder.supports_dimensions()
                                                ? fmt::format("'dimensions' must be at most {}", native)
                                                : fmt::format("The model '{}' only produces {} dimensions",
                                                              embedder.model(), native)));
  const auto answer_bytes =
      estimated_embeddings_bytes(request.input.size(), dimensions ? dimensions : native, request.is_base64);
  if (answer_bytes > limits.max_response_bytes)
    co_return failure(invalid("input",
                              fmt::format("The answer would take about {} MiB (at most {} MiB): send fewer inputs or "
                                          "ask for fewer dimensions",
                                          answer_bytes >> 20, limits.max_response_bytes >> 20),
                              "response_too_large", 413));
  core::Result<ai::Embeddings> result = core::internal_error();
  if (is_background) result = co_await embedder.embed_background(std::move(request.input));
  else result = co_await embedder.embed(std::move(request.input));
  if (!result) co_return failure(result.error());
  co_return Outcome{200, Codec<EmbeddingsResponse>::write(embeddings_response(
                               std::move(*result), request.is_base64, dimensions, embedder.model()))};
}

asio::awaitable<Response> embeddings(EmbeddingsRequest body, std::shared_ptr<ai::Embedder> embedder,
                                     RequestLimits limits) {
  auto request = to_call(std::move(body), limits);
  if (!request) co_return error_response(request.error());
  co_return to_response(co_await execute_embeddings(std::move(*request), *embedder, false, limits));
}

/// What differs between /v1/chat/completions and /v1/completions.
struct Shape {
  bool is_chat;
  std::string_view id_prefix;  // "chatcmpl" / "cmpl"
};
constexpr Shape chat_shape{true, "chatcmpl"};
constexpr Shape text_shape{false, "cmpl"};

json::value completion_body(const Shape& shape, const std::string& model, ai::Generation result) {
  if (shape.is_chat) {
    ChatCompletion out{.id = new_id(shape.id_prefix), .created = unix_now(), .model = model};
    out.choices.value.push_back({.message = {.role = "assistant", .content = std::move(result.text)},
                           .finish_reason = std::move(result.finish_reason)});
    out.usage = usage_of(result.usage);
    return Codec<ChatCompletion>::write(out);
  }
  TextCompletion out{.id = new_id(shape.id_prefix), .created = unix_now(), .model = model};
  out.choices.value.push_back({.text = std::move(result.text), .finish_reason = std::move(result.finish_reason)});
  out.usage = usage_of(result.usage);
  return Codec<TextCompletion>::write(out);
}

/// The events of one streamed completion, built outside coroutines (GCC 12 mishandles braced
/// initialiser lists inside them).
class ChunkWriter {
 public:
  ChunkWriter(Shape shape, std::string model)
      : shape_(shape), id_(new_id(shape.id_prefix)), created_(unix_now()), model_(std::move(model)) {}

  std::string role() const { return chunk(Delta{.role = "assistant", .content = ""}, std::nullopt); }
  std::string piece(std::string text) const { return chunk(Delta{.content = std::move(text)}, std::nullopt); }
  std::string finish(std::string reason) const { return chunk(Delta{}, std::move(reason)); }
  std::string usage(const ai::Usage& usage) const {
    if (shape_.is_chat) {
      auto out = chat_head();
      out.usage = usage_of(usage);
      return event(Codec<ChatCompletionChunk>::write(out));
    }
    auto out = text_head();
    out.usage = usage_of(usage);
    return event(Codec<TextCompletion>::write(out));
  }
  static std::string error(const core::Error& failure) {
    return event(Codec<ErrorResponse>::write(to_openai(failure)));
  }

 private:
  ChatCompletionChunk chat_head() const {
    return {.id = id_, .created = created_, .model = model_};
  }
  TextCompletion text_head() const { return {.id = id_, .created = created_, .model = model_}; }
  std::string chunk(Delta delta, std::optional<std::string> finish_reason) const {
    if (shape_.is_chat) {
      auto out = chat_head();
      out.choices.value.push_back({.delta = std::move(delta), .finish_reason = std::move(finish_reason)});
      return event(Codec<ChatCompletionChunk>::write(out));
    }
    auto out = text_head();
    out.choices.value.push_back({.text = delta.content.value_or(""), .finish_reason = std::move(finish_reason)});
    return event(Codec<TextCompletion>::write(out));
  }
  static std::string event(const json::value& body) { return http::sse_event(core::json_text(body)); }

  Shape shape_;
  std::string id_;
  std::int64_t created_;
  std::string model_;
};

/// SSE stream: one chunk per generated piece, a last chunk with finish_reason, optionally a
/// usage chunk, then `data: [DONE]`. A failure mid-stream is sent as an error event.
Response stream_completion(Shape shape, std::shared_ptr<ai::Generator> generator, CompletionCall request) {
  auto producer = [shape, generator,
                   request = std::move(request)](http::StreamWriter& out) mutable -> asio::awaitable<void> {
    const ChunkWriter chunks(shape, answering_model(request, *generator));
    if (shape.is_chat && !co_await out.write(chunks.role())) co_return;
    bool is_connected = true;
    ai::PieceSink sink = [&](std::string piece) -> asio::awaitable<bool> {
      auto data = chunks.piece(std::move(piece));
      is_connected = co_await out.write(data);
      co_return is_connected;
    };
    auto result = co_await generator->generate(std::move(request.generation), sink);
    if (!is_connected) co_return;
    if (!result) {
      if (!co_await out.write(ChunkWriter::error(result.error()))) co_return;
    } else {
      if (!co_await out.write(chunks.finish(result->finish_reason))) co_return;
      if (request.include_usage && !co_await out.write(chunks.usage(result->usage))) co_return;
    }
    co_await out.write(http::sse_event("[DONE]"));
  };
  auto response = Response::stream("text/event-stream", std::move(producer));
  response.set_header("Cache-Control", "no-cache");
  return response;
}

asio::awaitable<Outcome> execute_completion(const Shape& shape, CompletionCall request, ai::Generator& generator) {
  if (is_unknown(request, generator)) co_return failure(unknown_model(request.generation.model));
  if (auto refused = refusal(request, generator)) co_return failure(*refused);
  const auto model = answering_model(request, generator);
  auto result = co_await generator.generate(std::move(request.generation), {});
  if (!result) co_return failure(result.error());
  co_return Outcome{200, completion_body(shape, model, std::move(*result))};
}

asio::awaitable<Response> completion(Shape shape, core::Result<CompletionCall> request,
                                     std::shared_ptr<ai::Generator> generator) {
  if (!request) co_return error_response(request.error());
  if (is_unknown(*request, *generator)) co_return error_response(unknown_model(request->generation.model));
  if (auto refused = refusal(*request, *generator)) co_return error_response(*refused);
  if (request->is_stream) co_return stream_completion(shape, std::move(generator), std::move(*request));
  co_return to_response(co_await execute_completion(shape, std::move(*request), *generator));
}

}  // namespace

asio::awaitable<Outcome> execute(std::string_view endpoint, std::string_view body, ai::Embedder& embedder,
                                 ai::Generator& generator, bool is_background, const RequestLimits& limits) {
  if (endpoint == "/v1/embeddings") {
    auto request = parse_embeddings(body, limits);
    if (!request) co_return failure(request.error());
    co_return co_await execute_embeddings(std::move(*request), embedder, is_background, limits);
  }
  if (endpoint != "/v1/chat/completions" && endpoint != "/v1/completions")
    co_return failure(invalid("url", fmt::format("Unknown endpoint '{}'", endpoint), "unknown_endpoint", 404));
  const Shape& shape = endpoint == "/v1/chat/completions" ? chat_shape : text_shape;
  auto request = parse_completion(body, shape.is_chat, limits);
  if (!request) co_return failure(request.error());
  if (request->is_stream) co_return failure(invalid("stream", "'stream' is not supported here"));
  co_return co_await execute_completion(shape, std::move(*request), generator);
}

api::RouteGroup routes(RouteOptions options) {
  api::RouteGroup group(std::move(options.group));
  const auto errors = error_format();
  auto model_route = [&](std::string summary, std::string description) {
    return api::RouteDoc{.summary = std::move(summary),
                         .description = std::move(description),
                         .middleware = options.model_middleware,
                         .responses = options.model_responses,
                         .errors = errors};
  };
  // The handlers forward to coroutines that take the limits by value: a capturing lambda that
  // is itself a coroutine would keep only a reference to its captures.
  const auto limits = options.limits;
  group.get("/models", list_models, {.summary = "List models (OpenAI-compatible)", .errors = errors});
  group.post(
      "/embeddings",
      [limits](Body<EmbeddingsRequest> body, Depends<ai::Embedder> embedder) -> asio::awaitable<Response> {
        return embeddings(std::move(body.value), std::move(embedder.value), limits);
      },
      model_route("Create embeddings (OpenAI-compatible)",
                  "`input`: a string or an array of strings; `encoding_format`: float or base64 (little-endian "
                  "float32); `dimensions`: shorter vectors where the model allows. Concurrent requests are "
                  "batched."));
  group.post(
      "/chat/completions",
      [limits](Body<ChatCompletionRequest> body, Depends<ai::Generator> generator) -> asio::awaitable<Response> {
        return completion(chat_shape, to_call(std::move(body.value), limits), std::move(generator.value));
      },
      model_route("Chat completion (OpenAI-compatible)",
                  "`stream: true` answers Server-Sent Events ending in `data: [DONE]`."));
  group.post(
      "/completions",
      [limits](Body<CompletionRequest> body, Depends<ai::Generator> generator) -> asio::awaitable<Response> {
        return completion(text_shape, to_call(std::move(body.value), limits), std::move(generator.value));
      },
      model_route("Text completion (OpenAI-compatible)",
                  "`stream: true` answers Server-Sent Events ending in `data: [DONE]`."));
  return group;
}

}  // namespace sluice::ai::openai
