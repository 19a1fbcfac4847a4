#pragma once
// `sluice serve` settings: flags, each also readable from a SLUICE_* environment variable.

#include "ai_options.hpp"

#include "sluice/core/compute_pool.hpp"
#include "sluice/http/server.hpp"

#include <CLI/App.hpp>

#include <string>

namespace sluice::app {

/// The job system, shared by `sluice serve` and `sluice worker`.
struct JobOptions {
  std::string data_dir = "data";
  std::string redis_url;  // empty: SQLite in data_dir
  std::size_t workers = 0;  // in-process workers; serve defaults to one per CPU
  std::chrono::milliseconds lease{30'000};
  int max_attempts = 3;
  std::chrono::milliseconds backoff{1'000};
  std::chrono::milliseconds timeout{3'600'000};
};

struct ServeOptions {
  http::ServerOptions server;
  std::size_t compute_threads = 0;
  std::string context_url;  // empty: /generate reads the built-in local context
  std::chrono::milliseconds context_timeout{2'000};
  JobOptions jobs{.workers = core::available_cpus()};
  std::string ai_rate_limit = "10/minute";
  std::string log_level = "info";
  bool access_log = false;
  AiOptions ai;
};

/// Adds the `serve` flags to `command`, writing into `options` when parsed.
void add_serve_flags(CLI::App& command, ServeOptions& options);
/// Adds the job-system flags (--data-dir, --redis-url, --job-*) to `command`.
void add_job_flags(CLI::App& command, JobOptions& options);

}  // namespace sluice::app
