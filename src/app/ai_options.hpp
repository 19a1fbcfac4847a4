#pragma once
// `sluice serve` settings for the AI layer: which providers serve embeddings and generation,
// and how embedding work is batched.

#include "request_limits.hpp"

#include <CLI/App.hpp>

#include <chrono>
#include <cstddef>
#include <string>

namespace sluice::app {

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
  RequestLimits limits;
};

/// Adds --provider-url, --provider-api-key, --model, --embedding-model, --embedding-dim,
/// --provider-timeout-ms, --provider-retries and --batch-* to `command`.
void add_ai_flags(CLI::App& command, AiOptions& options);

}  // namespace sluice::app
