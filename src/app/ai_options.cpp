#include "ai_options.hpp"

#include "local_models.hpp"

#include <CLI/CLI.hpp>

namespace sluice::server {

void add_ai_flags(CLI::App& command, AiOptions& o) {
  command
      .add_option("--provider-url", o.provider_url,
                  "OpenAI-compatible API (e.g. http://127.0.0.1:8080/v1) serving embeddings and chat; "
                  "empty = the built-in models")
      ->envname("SLUICE_PROVIDER_URL");
  command.add_option("--provider-api-key", o.provider_api_key, "Bearer token for --provider-url")
      ->envname("SLUICE_PROVIDER_API_KEY");
  command
      .add_option("--provider-ca-file", o.provider_ca_file,
                  "PEM file of CA certificates to trust for https --provider-url and --context-url, besides "
                  "the system's (a private CA)")
      ->envname("SLUICE_PROVIDER_CA_FILE");
  // A value ending in .gguf is a local model file ([name=]path.gguf); anything else is a model id.
  command
      .add_option_function<std::vector<std::string>>(
          "--model",
          [&o](const std::vector<std::string>& values) {
            for (const auto& v : values) (is_gguf_spec(v) ? o.local_models.push_back(v) : void(o.model = v));
          },
          "Generation model: a GGUF file to run in-process ([name=]path.gguf; repeat it for several, the first "
          "is the default), or the model id (built-in default: sluice-extractive)")
      ->envname("SLUICE_MODEL")
      ->expected(1)
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
  command
      .add_option_function<std::vector<std::string>>(
          "--embedding-model",
          [&o](const std::vector<std::string>& values) {
            for (const auto& v : values)
              (is_gguf_spec(v) ? o.local_embedding_models.push_back(v) : void(o.embedding_model = v));
          },
          "Embedding model: a GGUF file ([name=]path.gguf; repeat it for several, the first is the default), or the "
          "model id (built-in default: sluice-embed)")
      ->envname("SLUICE_EMBEDDING_MODEL")
      ->expected(1)
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
  command.add_option("--parallel", o.parallel, "Sequences a local generation model decodes together")
      ->envname("SLUICE_PARALLEL")
      ->check(CLI::Range(1, 256))
      ->capture_default_str();
  command.add_option("--ctx-size", o.context, "Tokens per sequence of a local model; 0: its trained context")
      ->envname("SLUICE_CTX_SIZE")
      ->check(CLI::Range(0, 1 << 20))
      ->capture_default_str();
  command.add_option("--model-threads", o.model_threads, "llama.cpp threads per local model; 0: all CPUs")
      ->envname("SLUICE_MODEL_THREADS")
      ->check(CLI::Range(0, 1024))
      ->capture_default_str();
  command.add_option("--model-batch-tokens", o.model_batch_tokens, "Tokens per decode step of a local model")
      ->envname("SLUICE_MODEL_BATCH_TOKENS")
      ->check(CLI::Range(16, 1 << 16))
      ->capture_default_str();
  command.add_option("--model-queue", o.model_max_queue, "Generation requests waiting for a slot; past it 503")
      ->envname("SLUICE_MODEL_QUEUE")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  command.add_option("--model-gather-us", o.model_gather_us,
                     "Longest an idle local model waits for more prompts to start a step with (µs)")
      ->envname("SLUICE_MODEL_GATHER_US")
      ->check(CLI::Range(0, 1'000'000))
      ->capture_default_str();
  command.add_option("--embedding-dim", o.embedding_dim, "Dimension of the built-in embedder's vectors")
      ->envname("SLUICE_EMBEDDING_DIM")
      ->check(CLI::Range(1, 8192))
      ->capture_default_str();
  command
      .add_option_function<long>(
          "--provider-timeout-ms", [&o](long ms) { o.provider_timeout = std::chrono::milliseconds(ms); },
          "Deadline of one upstream call (each retry gets its own)")
      ->envname("SLUICE_PROVIDER_TIMEOUT_MS")
      ->check(CLI::PositiveNumber)
      ->default_str(std::to_string(o.provider_timeout.count()));
  command.add_option("--provider-retries", o.provider_retries, "Retries of an upstream call on 429/5xx or no answer")
      ->envname("SLUICE_PROVIDER_RETRIES")
      ->check(CLI::Range(0, 10))
      ->capture_default_str();
  command.add_option("--batch-max-size", o.batch_max_size, "Texts per embedding batch; 1 turns batching off")
      ->envname("SLUICE_BATCH_MAX_SIZE")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  command.add_option("--batch-max-tokens", o.batch_max_tokens, "Tokens per embedding batch")
      ->envname("SLUICE_BATCH_MAX_TOKENS")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  command.add_option("--batch-max-wait-us", o.batch_max_wait_us, "Longest a text waits for a batch to fill (µs)")
      ->envname("SLUICE_BATCH_MAX_WAIT_US")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  command.add_option("--batch-max-queue", o.batch_max_queue, "Texts waiting for the embedder; past it 503")
      ->envname("SLUICE_BATCH_MAX_QUEUE")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  command.add_option("--max-embedding-inputs", o.limits.max_inputs, "Inputs per embeddings request; more → 400")
      ->envname("SLUICE_MAX_EMBEDDING_INPUTS")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  command.add_option("--max-input-tokens", o.max_input_tokens, "Tokens per embeddings input; more → 400")
      ->envname("SLUICE_MAX_INPUT_TOKENS")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  command.add_option("--max-chat-messages", o.limits.max_messages, "Messages per chat request; more → 400")
      ->envname("SLUICE_MAX_CHAT_MESSAGES")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  command.add_option("--max-completion-tokens", o.limits.max_completion_tokens,
                     "Largest max_tokens a request may ask for; more → 400")
      ->envname("SLUICE_MAX_COMPLETION_TOKENS")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
}

}  // namespace sluice::server
