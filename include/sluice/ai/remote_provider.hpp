#pragma once
// The remote provider: embeddings and chat completions from an OpenAI-compatible API
// (llama.cpp's server, vLLM, Ollama, TEI, OpenAI — or another Sluice).

#include "sluice/ai/circuit_breaker.hpp"
#include "sluice/ai/embedder.hpp"
#include "sluice/ai/generator.hpp"
#include "sluice/client/http_client.hpp"

#include <chrono>
#include <memory>
#include <string>

namespace sluice::ai {

struct RemoteOptions {
  std::string base_url;  // e.g. http://127.0.0.1:8080/v1 (the paths /embeddings, /chat/completions follow)
  std::string api_key;   // sent as `Authorization: Bearer …` when not empty
  std::string chat_model = "default";
  std::string embedding_model = "default";
  std::size_t embedding_dimension = 384;      // what the upstream model produces (for /v1/models, dimensions)
  std::chrono::milliseconds timeout{30'000};  // one attempt; for a stream, each wait for more
  int max_retries = 2;                        // on 429, 5xx, timeouts and refused connections
  std::chrono::milliseconds backoff{100};     // first retry delay; doubles, ±50% jitter
  std::chrono::milliseconds max_backoff{2'000};
  std::size_t breaker_failures = 5;  // consecutive failed attempts that open the breaker
  std::chrono::milliseconds breaker_cool_down{5'000};
};

/// The shared part: the HTTP client, the retry policy and the circuit breaker of one upstream.
/// Errors: the upstream's own 4xx (not retried), 429 `upstream_rate_limited` and 502
/// `upstream_error` once retries are spent, 504 `upstream_timeout`, 503 `upstream_circuit_open`.
class RemoteProvider {
 public:
  RemoteProvider(std::shared_ptr<client::HttpClient> client, RemoteOptions options);
  const RemoteOptions& options() const { return options_; }
  CircuitBreaker& breaker() { return breaker_; }

  /// POSTs `body` (JSON) to base_url + `path` with retries; the 2xx response body.
  boost::asio::awaitable<core::Result<std::string>> post_json(std::string path, std::string body);
  /// Same, streamed: retries only until the first byte of a 2xx body has been handed on.
  boost::asio::awaitable<core::Result<client::ClientResponse>> post_stream(std::string path, std::string body,
                                                                           client::HttpClient::ChunkSink on_chunk);

 private:
  boost::asio::awaitable<void> back_off(int attempt);
  client::HttpClient::Headers headers() const;

  std::shared_ptr<client::HttpClient> client_;
  RemoteOptions options_;
  CircuitBreaker breaker_;
};

class RemoteEmbedder final : public Embedder {
 public:
  explicit RemoteEmbedder(std::shared_ptr<RemoteProvider> provider) : provider_(std::move(provider)) {}
  std::string model() const override { return provider_->options().embedding_model; }
  std::size_t dimension() const override { return provider_->options().embedding_dimension; }
  bool supports_dimensions() const override { return true; }
  boost::asio::awaitable<core::Result<Embeddings>> embed(std::vector<std::string> texts) override;

 private:
  std::shared_ptr<RemoteProvider> provider_;
};

/// Chat completions upstream for both chat and plain prompts (a prompt becomes one user
/// message; `context` a system message before it). Streams when `on_piece` is given.
class RemoteGenerator final : public Generator {
 public:
  explicit RemoteGenerator(std::shared_ptr<RemoteProvider> provider) : provider_(std::move(provider)) {}
  std::string model() const override { return provider_->options().chat_model; }
  /// response_format is passed upstream; tools are not relayed yet (refused by name).
  GeneratorFeatures features(std::string_view) const override { return {.json_object = true, .json_schema = true}; }
  boost::asio::awaitable<core::Result<Generation>> generate(GenerationRequest request, PieceSink on_piece) override;

 private:
  std::shared_ptr<RemoteProvider> provider_;
};

}  // namespace sluice::ai
