#pragma once
// `sluice serve` settings: flags, each also readable from a SLUICE_* environment variable.

#include "ai_options.hpp"
#include "rag_options.hpp"
#include "batch_options.hpp"

#include "sluice/core/compute_pool.hpp"
#include "sluice/http/server.hpp"

#include <CLI/App.hpp>

#include <string>
#include <vector>

namespace sluice::server {

/// The job system, shared by `sluice serve` and `sluice worker`.
struct JobOptions {
  std::string data_dir = "data";
  std::string redis_url;  // empty: SQLite in data_dir
  // PostgreSQL for the datasets every node and worker share; empty: SQLite in data_dir.
  std::string database_url;
  std::size_t workers = 0;  // in-process workers; serve defaults to one per CPU
  std::chrono::milliseconds lease{30'000};
  int max_attempts = 3;
  std::chrono::milliseconds backoff{1'000};
  std::chrono::milliseconds timeout{3'600'000};
};

/// Overload protection and access control of `sluice serve`.
struct ProtectionOptions {
  std::string rate_limit;  // every route together, per client, e.g. "1000/second"; empty: none
  std::string ai_rate_limit = "10/minute";  // GET /ai, per client
  std::string rate_limit_key = "address";  // "address" or "api_key"
  bool rate_limit_headers = false;  // RateLimit-* on allowed responses too
  std::vector<std::string> trusted_proxies;  // whose X-Forwarded-For is believed
  std::size_t max_in_flight = 64;  // generations at once (the model call only: model_admission.hpp)
  // Half of max_in_flight: a queued call then waits at most half a service time, so admitted
  // latency stays under 1.5× unloaded however hard the burst (bench/overload.sh).
  std::size_t max_queue = 32;
  // A fast model stage may queue more than max_queue while the wait stays under this: a burst
  // of a few hundred requests on a sub-millisecond stage is queued, not shed. Below half a slow
  // stage's service time (bench/overload.sh: 50 ms), so there max_queue still decides.
  std::chrono::milliseconds queue_target{20};
  std::chrono::milliseconds queue_timeout{2'000};
  std::chrono::milliseconds request_timeout{30'000};  // per model route; past it 504
  std::string api_keys_file;  // keys one per line; with SLUICE_API_KEYS: auth required
};

struct ServeOptions {
  http::ServerOptions server{.max_connections = 10'000};
  std::size_t compute_threads = 0;
  std::string context_url;  // empty: /generate reads the built-in local context
  std::chrono::milliseconds context_timeout{2'000};
  JobOptions jobs{.workers = core::available_cpus()};
  ProtectionOptions protection;
  std::chrono::milliseconds context_cache_ttl{0};  // /generate: context per prompt; 0: off
  std::chrono::milliseconds response_cache_ttl{0};  // GET /generate: whole responses per URL; 0: off
  std::string log_level = "info";
  bool access_log = false;
  AiOptions ai;
  RagOptions rag;
  ai::openai::BatchOptions batches;  // flags only; compose_server fills the rest
  std::string console_dir;  // the built web console; empty: found next to the executable
};

/// Adds the `serve` flags to `command`, writing into `options` when parsed.
void add_serve_flags(CLI::App& command, ServeOptions& options);
/// Adds the rate-limit, admission, deadline and API-key flags to `command`.
void add_protection_flags(CLI::App& command, ProtectionOptions& options);
/// Adds the job-system flags (--data-dir, --redis-url, --job-*) to `command`.
void add_job_flags(CLI::App& command, JobOptions& options);

}  // namespace sluice::server
