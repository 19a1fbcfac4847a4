#include "openai_routes.hpp"

#include "openai_protocol.hpp"

#include "sluice/ai/embedder.hpp"
#include "sluice/ai/generator.hpp"
#include "sluice/http/sse.hpp"

#include <fmt/format.h>
#include <boost/json/serialize.hpp>

namespace sluice::app {

namespace asio = boost::asio;
namespace json = boost::json;
using api::Depends;
using http::Request;
using http::Response;
using namespace openai;

namespace {

ApiError unknown_model(std::string_view model) {
  return {404, fmt::format("The model '{}' does not exist", model), "invalid_request_error", "model",
          "model_not_found"};
}

json::object model_entry(const std::string& id, const ai::ModelCard& card) {
  json::object out{{"id", id}, {"object", "model"}, {"created", 0}, {"owned_by", "sluice"}};
  // Not in OpenAI's shape, but what a client of a local model needs to size its prompts.
  if (card.context_length != 0) out["context_length"] = card.context_length;
  if (card.parameters != 0) out["parameters"] = card.parameters;
  return out;
}

json::object embeddings_json(ai::Embeddings result, bool is_base64, std::size_t dimensions, const std::string& model) {
  json::array data;
  data.reserve(result.vectors.size());
  for (std::size_t i = 0; i < result.vectors.size(); ++i) {
    auto& vector = result.vectors[i];
    if (dimensions != 0 && dimensions < vector.size()) vector = ai::truncate_and_normalise(vector, dimensions);
    json::value embedding;
    if (is_base64) {
      embedding = json::string(base64_floats(vector));
    } else {
      json::array values;
      values.reserve(vector.size());
      for (float x : vector) values.emplace_back(static_cast<double>(x));
      embedding = std::move(values);
    }
    data.push_back(json::object{{"object", "embedding"}, {"index", i}, {"embedding", std::move(embedding)}});
  }
  return {{"object", "list"},
          {"data", std::move(data)},
          {"model", model},
          {"usage", {{"prompt_tokens", result.prompt_tokens}, {"total_tokens", result.prompt_tokens}}}};
}

json::object models_json(const ai::Generator& generator, const ai::Embedder& embedder) {
  json::array data{model_entry(generator.model(), generator.card())};
  if (embedder.model() != generator.model()) data.push_back(model_entry(embedder.model(), embedder.card()));
  return {{"object", "list"}, {"data", std::move(data)}};
}

asio::awaitable<Response> list_models(Depends<ai::Embedder> embedder, Depends<ai::Generator> generator) {
  co_return Response::json(models_json(*generator, *embedder));
}

/// A /v1 answer before it becomes an HTTP response: the status and the JSON body.
V1Outcome failure(const ApiError& error) { return {error.status, error_json(error)}; }

Response to_response(V1Outcome outcome) {
  auto response = Response::json(outcome.body, static_cast<http::Status>(outcome.status));
  if (outcome.status == 503) response.set_header(http::Field::retry_after, "1");  // queue full, at capacity
  return response;
}

asio::awaitable<V1Outcome> execute_embeddings(std::string_view body, ai::Embedder& embedder, bool is_background,
                                              const RequestLimits& limits) {
  auto parsed = parse_embeddings(body, limits);
  if (!parsed.value) co_return failure(parsed.error);
  auto& request = *parsed.value;
  if (!request.model.empty() && request.model != embedder.model()) co_return failure(unknown_model(request.model));
  const std::size_t native = embedder.dimension();
  // 0: as the model produces them.
  std::size_t dimensions = request.dimensions.value_or(0);
  if (dimensions != 0 && dimensions != native && (!embedder.supports_dimensions() || dimensions > native))
    co_return failure({400,
                       embedder.supports_dimensions()
                           ? fmt::format("'dimensions' must be at most {}", native)
                           : fmt::format("The model '{}' only produces {} dimensions", embedder.model(), native),
                       "invalid_request_error", "dimensions", ""});
  const auto answer_bytes =
      estimated_embeddings_bytes(request.input.size(), dimensions ? dimensions : native, request.is_base64);
  if (answer_bytes > limits.max_response_bytes)
    co_return failure({413,
                       fmt::format("The answer would take about {} MiB (at most {} MiB): send fewer inputs or ask "
                                   "for fewer dimensions",
                                   answer_bytes >> 20, limits.max_response_bytes >> 20),
                       "invalid_request_error", "input", "response_too_large"});
  core::Result<ai::Embeddings> result = core::internal_error();
  if (is_background) result = co_await embedder.embed_background(std::move(request.input));
  else result = co_await embedder.embed(std::move(request.input));
  if (!result) co_return failure(from_core(result.error()));
  co_return V1Outcome{200, embeddings_json(std::move(*result), request.is_base64, dimensions, embedder.model())};
}

asio::awaitable<Response> embeddings(Request& http_request, Depends<ai::Embedder> embedder,
                                     Depends<RequestLimits> limits) {
  co_return to_response(co_await execute_embeddings(http_request.body(), *embedder, false, *limits));
}

/// What differs between /v1/chat/completions and /v1/completions.
struct Shape {
  bool is_chat;
  std::string_view id_prefix;  // "chatcmpl" / "cmpl"
  std::string_view object;     // "chat.completion" / "text_completion"
  std::string_view chunk_object;
};
constexpr Shape chat_shape{true, "chatcmpl", "chat.completion", "chat.completion.chunk"};
constexpr Shape text_shape{false, "cmpl", "text_completion", "text_completion"};

json::object choice(const Shape& shape, std::string text, json::value finish_reason, bool is_chunk) {
  json::object out{{"index", 0}, {"logprobs", nullptr}, {"finish_reason", std::move(finish_reason)}};
  if (!shape.is_chat) {
    out["text"] = std::move(text);
  } else if (is_chunk) {
    out["delta"] = text.empty() ? json::object{} : json::object{{"content", std::move(text)}};
  } else {
    out["message"] = json::object{{"role", "assistant"}, {"content", std::move(text)}};
  }
  return out;
}

/// The JSON of one streamed completion, built outside coroutines (GCC 12 mishandles braced
/// initialiser lists of pairs inside them).
class ChunkWriter {
 public:
  ChunkWriter(Shape shape, std::string model)
      : shape_(shape), id_(new_id(shape.id_prefix)), created_(unix_now()), model_(std::move(model)) {}

  std::string role() const {
    auto first = choice(shape_, "", nullptr, true);
    first["delta"] = json::object{{"role", "assistant"}, {"content", ""}};
    return event(json::array{std::move(first)});
  }
  std::string piece(std::string text) const {
    return event(json::array{choice(shape_, std::move(text), nullptr, true)});
  }
  std::string finish(const std::string& reason) const {
    return event(json::array{choice(shape_, "", json::string(reason), true)});
  }
  std::string usage(const ai::Usage& usage) const {
    auto c = head(json::array{});
    c["usage"] = usage_json(usage);
    return http::sse_event(json::serialize(c));
  }
  static std::string error(const core::Error& failure) {
    auto e = from_core(failure);
    json::object body{{"message", e.message},
                      {"type", e.type},
                      {"param", nullptr},
                      {"code", e.code.empty() ? json::value(nullptr) : json::value(e.code)}};
    return http::sse_event(json::serialize(json::object{{"error", std::move(body)}}));
  }

 private:
  json::object head(json::array choices) const {
    return {{"id", id_},
            {"object", shape_.chunk_object},
            {"created", created_},
            {"model", model_},
            {"choices", std::move(choices)}};
  }
  std::string event(json::array choices) const { return http::sse_event(json::serialize(head(std::move(choices)))); }

  Shape shape_;
  std::string id_;
  std::int64_t created_;
  std::string model_;
};

json::object completion_json(const Shape& shape, const std::string& model, ai::Generation result) {
  json::array choices{choice(shape, std::move(result.text), json::string(result.finish_reason), false)};
  return {{"id", new_id(shape.id_prefix)}, {"object", shape.object},
          {"created", unix_now()},         {"model", model},
          {"choices", std::move(choices)}, {"usage", usage_json(result.usage)}};
}

/// SSE stream: one chunk per generated piece, a last chunk with finish_reason, optionally a
/// usage chunk, then `data: [DONE]`. A failure mid-stream is sent as an error event.
Response stream_completion(Shape shape, std::shared_ptr<ai::Generator> generator, CompletionRequest request) {
  auto producer = [shape, generator,
                   request = std::move(request)](http::StreamWriter& out) mutable -> asio::awaitable<void> {
    const ChunkWriter chunks(shape, generator->model());
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

asio::awaitable<V1Outcome> execute_completion(const Shape& shape, CompletionRequest request, ai::Generator& generator) {
  auto result = co_await generator.generate(std::move(request.generation), {});
  if (!result) co_return failure(from_core(result.error()));
  co_return V1Outcome{200, completion_json(shape, generator.model(), std::move(*result))};
}

asio::awaitable<Response> completion(Shape shape, Request& http_request, std::shared_ptr<ai::Generator> generator,
                                     const RequestLimits& limits) {
  auto parsed = parse_completion(http_request.body(), shape.is_chat, limits);
  if (!parsed.value) co_return error_response(parsed.error);
  auto& request = *parsed.value;
  if (!request.model.empty() && request.model != generator->model())
    co_return error_response(unknown_model(request.model));
  if (request.is_stream) co_return stream_completion(shape, std::move(generator), std::move(request));
  co_return to_response(co_await execute_completion(shape, std::move(request), *generator));
}

asio::awaitable<Response> chat_completions(Request& request, Depends<ai::Generator> generator,
                                           Depends<RequestLimits> limits) {
  return completion(chat_shape, request, generator.value, *limits);
}

asio::awaitable<Response> completions(Request& request, Depends<ai::Generator> generator,
                                      Depends<RequestLimits> limits) {
  return completion(text_shape, request, generator.value, *limits);
}

}  // namespace

asio::awaitable<V1Outcome> execute_v1(std::string_view endpoint, std::string_view body, ai::Embedder& embedder,
                                      ai::Generator& generator, bool is_background, const RequestLimits& limits) {
  if (endpoint == "/v1/embeddings") co_return co_await execute_embeddings(body, embedder, is_background, limits);
  if (endpoint != "/v1/chat/completions" && endpoint != "/v1/completions")
    co_return failure({404, fmt::format("Unknown endpoint '{}'", endpoint), "invalid_request_error", "url", ""});
  const Shape& shape = endpoint == "/v1/chat/completions" ? chat_shape : text_shape;
  auto parsed = parse_completion(body, shape.is_chat, limits);
  if (!parsed.value) co_return failure(parsed.error);
  if (!parsed.value->model.empty() && parsed.value->model != generator.model())
    co_return failure(unknown_model(parsed.value->model));
  if (parsed.value->is_stream)
    co_return failure({400, "'stream' is not supported here", "invalid_request_error", "stream", ""});
  co_return co_await execute_completion(shape, std::move(*parsed.value), generator);
}

void add_openai_routes(App& app, Protection& protection, const RequestLimits& limits) {
  app.services().add_singleton<RequestLimits>(std::make_shared<RequestLimits>(limits));
  app.get("/v1/models", list_models, {.summary = "List models (OpenAI-compatible)", .tags = {"openai"}});
  app.post("/v1/embeddings", embeddings,
           {.summary = "Create embeddings (OpenAI-compatible)",
            .description = "`input`: a string or an array of strings; `encoding_format`: float or base64 "
                           "(little-endian float32); `dimensions`: shorter vectors where the model allows. "
                           "Concurrent requests are batched. Errors in OpenAI's error shape.",
            .tags = {"openai"},
            .middleware = protection.model_route_middleware(),
            .responses = Protection::model_route_responses()});
  app.post("/v1/chat/completions", chat_completions,
           {.summary = "Chat completion (OpenAI-compatible)",
            .description = "`stream: true` answers Server-Sent Events ending in `data: [DONE]`.",
            .tags = {"openai"},
            .middleware = protection.model_route_middleware(),
            .responses = Protection::model_route_responses()});
  app.post("/v1/completions", completions,
           {.summary = "Text completion (OpenAI-compatible)",
            .description = "`stream: true` answers Server-Sent Events ending in `data: [DONE]`.",
            .tags = {"openai"},
            .middleware = protection.model_route_middleware(),
            .responses = Protection::model_route_responses()});
}

}  // namespace sluice::app
