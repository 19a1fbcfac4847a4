#pragma once
// `sluice serve` settings for the AI layer: which providers serve embeddings and generation,
// and how embedding work is batched.

#include "sluice/ai/openai_routes.hpp"

#include <CLI/App.hpp>

#include <chrono>
#include <cstddef>
#include <string>
#include <vector>

namespace sluice::server {

struct AiOptions {
  std::string provider_url;         // an OpenAI-compatible base URL (…/v1); empty: built-in models
  std::string provider_api_key;     // sent upstream as a bearer token
  std::string provider_ca_file;     // extra CA certificates (PEM) trusted for https upstreams
  std::string model;                // generator model id; empty: "sluice-extractive" (built-in) or "default"
  std::string embedding_model;      // embedder model id; empty: "sluice-embed" (built-in) or "default"
  std::size_t embedding_dim = 384;  // built-in embedder's dimension
  std::chrono::milliseconds provider_timeout{30'000};
  int provider_retries = 2;         // extra attempts on 429/5xx/connection failures
  std::size_t batch_max_size = 64;  // 1: batching off
  std::size_t batch_max_tokens = 8192;
  long batch_max_wait_us = 1000;
  std::size_t batch_max_queue = 4096;     // ≥ limits.max_inputs: one whole request always fits
  std::size_t max_input_tokens = 8192;    // tokens per embeddings input; longer → 400
  ai::openai::RequestLimits limits;
  // The local provider: GGUF files given as --model / --embedding-model ([name=]path.gguf).
  std::vector<std::string> local_models;
  std::vector<std::string> local_embedding_models;
  std::size_t parallel = 4;             // sequences a generation model decodes together
  std::size_t context = 0;              // tokens per sequence; 0: the model's trained context
  int model_threads = 0;                // llama.cpp threads; 0: every CPU the process may use
  std::size_t model_batch_tokens = 512; // tokens per decode step
  std::size_t model_max_queue = 64;     // generation requests waiting for a slot; past it 503
  long model_gather_us = 2000;          // an idle model waits this long for a burst's other prompts
};

/// Adds --provider-url, --provider-api-key, --model, --embedding-model, --embedding-dim,
/// --provider-timeout-ms, --provider-retries, --batch-* and the local provider's --parallel,
/// --ctx-size, --model-threads, --model-batch-tokens, --model-queue, --model-gather-us to `command`.
void add_ai_flags(CLI::App& command, AiOptions& options);

}  // namespace sluice::server
