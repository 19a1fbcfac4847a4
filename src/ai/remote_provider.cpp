#include "sluice/ai/remote_provider.hpp"

#include "sse_reader.hpp"

#include "sluice/ai/openai.hpp"
#include "sluice/core/json_text.hpp"

#include <fmt/format.h>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json/parse.hpp>

#include <algorithm>
#include <random>

namespace sluice::ai {

namespace asio = boost::asio;
namespace json = boost::json;

namespace {

bool is_retryable_status(unsigned status) { return status == 429 || status >= 500; }

/// The upstream's own words for a failure: OpenAI's error.message, FastAPI's detail, or the body.
std::string upstream_message(const std::string& body) {
  boost::system::error_code ec;
  auto value = json::parse(body, ec);
  if (!ec && value.is_object()) {
    const auto& object = value.get_object();
    if (const auto* error = object.if_contains("error")) {
      if (error->is_string()) return std::string(error->get_string());
      if (error->is_object())
        if (const auto* message = error->get_object().if_contains("message"); message && message->is_string())
          return std::string(message->get_string());
    }
    for (const char* key : {"message", "detail"})
      if (const auto* v = object.if_contains(key); v && v->is_string()) return std::string(v->get_string());
  }
  return body.substr(0, 200);
}

core::Error status_error(unsigned status, const std::string& body) {
  auto message = fmt::format("upstream answered {}: {}", status, upstream_message(body));
  if (status == 429) return {429, "upstream_rate_limited", std::move(message), nullptr};
  if (status >= 500) return {502, "upstream_error", std::move(message), nullptr};
  return {status, "upstream_rejected", std::move(message), nullptr};  // the caller's fault: passed on
}

core::Error circuit_open() {
  return {503, "upstream_circuit_open", "the upstream model service failed repeatedly; not calling it for a while",
          nullptr};
}

std::string embeddings_body(const std::string& model, std::vector<std::string> texts) {
  openai::EmbeddingsRequest request{.input = std::move(texts), .model = model, .encoding_format = "float"};
  return core::json_text(api::Codec<openai::EmbeddingsRequest>::write(request));
}

core::Error invalid_response(std::string_view what, const api::Issues& issues) {
  const auto& first = issues.list().front();
  return {502, "upstream_invalid_response",
          fmt::format("upstream {} response is malformed: {} at {}", what, first.msg, core::json_text(first.loc)),
          issues.to_error().detail};
}

/// Reads an upstream answer into an openai:: model; a 502 naming what did not fit otherwise.
template <class T>
core::Result<T> read_answer(std::string_view what, const std::string& body) {
  api::Issues issues;
  boost::system::error_code ec;
  auto value = json::parse(body, ec);
  if (ec) return core::Error{502, "upstream_invalid_response", fmt::format("upstream {} response is not JSON", what),
                             nullptr};
  auto read = api::Codec<T>::read(value, issues, api::Loc{});
  if (!read) return invalid_response(what, issues);
  return std::move(*read);
}

Usage usage_of(const std::optional<openai::Usage>& usage) {
  if (!usage) return {};
  auto count = [](std::int64_t n) { return n > 0 ? static_cast<std::size_t>(n) : 0; };
  return {count(*usage->prompt_tokens), count(*usage->completion_tokens)};
}

core::Result<Embeddings> parse_embeddings(const std::string& body, std::size_t expected) {
  auto answer = read_answer<openai::EmbeddingsResponse>("embeddings", body);
  if (!answer) return answer.error();
  if (answer->data.size() != expected)
    return core::Error{502, "upstream_invalid_response",
                       fmt::format("upstream answered {} embeddings for {} inputs", answer->data.size(), expected),
                       nullptr};
  Embeddings out;
  out.vectors.resize(expected);
  for (auto& item : answer->data) {
    auto* floats = std::get_if<std::vector<float>>(&item.embedding);
    if (*item.index < 0 || static_cast<std::size_t>(*item.index) >= expected || !floats)
      return core::Error{502, "upstream_invalid_response", "upstream embedding item is malformed", nullptr};
    out.vectors[static_cast<std::size_t>(*item.index)] = std::move(*floats);
  }
  out.prompt_tokens = static_cast<std::size_t>(std::max<std::int64_t>(*answer->usage->prompt_tokens, 0));
  return out;
}

std::string chat_body(const std::string& model, const GenerationRequest& request, bool is_stream) {
  openai::ChatCompletionRequest body;
  auto& messages = body.messages.value;
  if (!request.context.empty())
    messages.push_back({.role = "system", .content = "Answer from this context:\n" + request.context});
  if (request.messages.empty()) messages.push_back({.role = "user", .content = request.prompt});
  for (const auto& m : request.messages) messages.push_back({.role = m.role, .content = m.content});
  const auto& p = request.params;
  body.model = model;
  body.max_tokens = static_cast<std::int64_t>(p.max_tokens);
  body.temperature = p.temperature;
  body.top_p = p.top_p;
  body.stream = is_stream;
  if (!p.stop.empty()) body.stop = p.stop;
  body.seed = p.seed;
  using Format = ResponseFormat::Type;
  if (p.response_format.type == Format::json_object) body.response_format = openai::ResponseFormat{.type = "json_object"};
  if (p.response_format.type == Format::json_schema)
    body.response_format = openai::ResponseFormat{
        .type = "json_schema",
        .json_schema = openai::JsonSchemaFormat{.name = p.response_format.name.empty() ? "response" : p.response_format.name,
                                                .schema = boost::json::parse(p.response_format.schema),
                                                .strict = p.response_format.is_strict}};
  if (is_stream) body.stream_options = openai::StreamOptions{.include_usage = true};
  return core::json_text(api::Codec<openai::ChatCompletionRequest>::write(body));
}

core::Result<Generation> parse_chat(const std::string& body) {
  auto answer = read_answer<openai::ChatCompletion>("chat", body);
  if (!answer) return answer.error();
  if (answer->choices->empty())
    return core::Error{502, "upstream_invalid_response", "upstream chat response has no choices", nullptr};
  auto& choice = answer->choices.value.front();
  Generation out;
  if (auto* text = choice.message.content ? std::get_if<std::string>(&*choice.message.content) : nullptr)
    out.text = std::move(*text);
  out.finish_reason = choice.finish_reason.value_or(out.finish_reason);
  out.usage = usage_of(answer->usage);
  return out;
}

/// One streamed chunk: its text piece, finish_reason and usage, when present.
struct StreamChunk {
  std::string piece;
  std::string finish_reason;
  bool has_usage = false;
  Usage usage;
};

std::optional<StreamChunk> parse_chunk(const std::string& data) {
  auto chunk = read_answer<openai::ChatCompletionChunk>("stream", data);
  if (!chunk) return std::nullopt;
  StreamChunk out;
  if (!chunk->choices->empty()) {
    const auto& choice = chunk->choices->front();
    out.piece = choice.delta->content.value_or("");
    out.finish_reason = choice.finish_reason.value_or("");
  }
  out.has_usage = chunk->usage.has_value();
  out.usage = usage_of(chunk->usage);
  return out;
}

}  // namespace

RemoteProvider::RemoteProvider(std::shared_ptr<client::HttpClient> client, RemoteOptions options)
    : client_(std::move(client)),
      options_(std::move(options)),
      breaker_(options_.breaker_failures, options_.breaker_cool_down) {
  while (!options_.base_url.empty() && options_.base_url.back() == '/') options_.base_url.pop_back();
}

client::HttpClient::Headers RemoteProvider::headers() const {
  client::HttpClient::Headers out;
  if (!options_.api_key.empty()) out.emplace_back("Authorization", "Bearer " + options_.api_key);
  return out;
}

asio::awaitable<void> RemoteProvider::back_off(int attempt) {
  // Exponential with ±50% jitter, so that callers retrying together do not arrive together.
  thread_local std::minstd_rand random{std::random_device{}()};
  auto base = std::min(options_.backoff * (1 << std::min(attempt, 16)), options_.max_backoff);
  auto jittered = std::chrono::milliseconds(
      static_cast<long>(static_cast<double>(base.count()) * std::uniform_real_distribution<double>(0.5, 1.5)(random)));
  asio::steady_timer timer(co_await asio::this_coro::executor, jittered);
  co_await timer.async_wait(asio::use_awaitable);
}

asio::awaitable<core::Result<std::string>> RemoteProvider::post_json(std::string path, std::string body) {
  const auto url = options_.base_url + path;
  std::optional<core::Error> last;
  for (int attempt = 0; attempt <= options_.max_retries; ++attempt) {
    if (attempt > 0) co_await back_off(attempt - 1);
    if (!breaker_.allow()) co_return last.value_or(circuit_open());
    auto response =
        co_await client_->request(http::Verb::post, url, body, "application/json", options_.timeout, headers());
    if (!response) {
      breaker_.on_failure();
      last = response.error();
      // Neither a bad URL nor a rejected certificate gets better by trying again.
      if (response.error().code == "upstream_invalid_url" || response.error().code == "upstream_tls_error")
        co_return *last;
      continue;
    }
    if (is_retryable_status(response->status)) {
      breaker_.on_failure();
      last = status_error(response->status, response->body);
      continue;
    }
    breaker_.on_success();  // the upstream works, even when it rejects this request
    if (response->status >= 300) co_return status_error(response->status, response->body);
    co_return std::move(response->body);
  }
  co_return *last;
}

asio::awaitable<core::Result<client::ClientResponse>> RemoteProvider::post_stream(
    std::string path, std::string body, client::HttpClient::ChunkSink on_chunk) {
  const auto url = options_.base_url + path;
  std::optional<core::Error> last;
  bool has_started = false;
  client::HttpClient::ChunkSink sink = [&](std::string chunk) -> asio::awaitable<bool> {
    has_started = true;
    co_return co_await on_chunk(std::move(chunk));
  };
  for (int attempt = 0; attempt <= options_.max_retries; ++attempt) {
    if (attempt > 0) co_await back_off(attempt - 1);
    if (!breaker_.allow()) co_return last.value_or(circuit_open());
    auto response =
        co_await client_->stream(http::Verb::post, url, body, "application/json", sink, options_.timeout, headers());
    if (!response) {
      breaker_.on_failure();
      if (has_started) co_return response.error();  // part of the answer is out: no second try
      last = response.error();
      continue;
    }
    if (is_retryable_status(response->status)) {
      breaker_.on_failure();
      last = status_error(response->status, response->body);
      continue;
    }
    breaker_.on_success();
    if (response->status >= 300) co_return status_error(response->status, response->body);
    co_return std::move(*response);
  }
  co_return *last;
}

asio::awaitable<core::Result<Embeddings>> RemoteEmbedder::embed(std::vector<std::string> texts) {
  if (texts.empty()) co_return Embeddings{};
  const auto count = texts.size();
  auto body = embeddings_body(model(), std::move(texts));
  auto response = co_await provider_->post_json("/embeddings", std::move(body));
  if (!response) co_return response.error();
  co_return parse_embeddings(*response, count);
}

asio::awaitable<core::Result<Generation>> RemoteGenerator::generate(GenerationRequest request, PieceSink on_piece) {
  if (!on_piece) {
    auto body = chat_body(model(), request, false);
    auto response = co_await provider_->post_json("/chat/completions", std::move(body));
    if (!response) co_return response.error();
    co_return parse_chat(*response);
  }
  Generation out;
  bool has_usage = false;
  std::size_t pieces = 0;
  detail::SseReader reader;
  client::HttpClient::ChunkSink sink = [&](std::string bytes) -> asio::awaitable<bool> {
    for (auto& data : reader.feed(bytes)) {
      if (data == "[DONE]") co_return false;
      auto chunk = parse_chunk(data);
      if (!chunk) continue;
      if (!chunk->finish_reason.empty()) out.finish_reason = chunk->finish_reason;
      if (chunk->has_usage) {
        has_usage = true;
        out.usage = chunk->usage;
      }
      if (chunk->piece.empty()) continue;
      out.text += chunk->piece;
      ++pieces;
      if (!co_await on_piece(std::move(chunk->piece))) co_return false;
    }
    co_return true;
  };
  auto body = chat_body(model(), request, true);
  auto response = co_await provider_->post_stream("/chat/completions", std::move(body), sink);
  if (!response) co_return response.error();
  if (!has_usage) out.usage.completion_tokens = pieces;  // upstreams without usage in streams
  co_return out;
}

}  // namespace sluice::ai
