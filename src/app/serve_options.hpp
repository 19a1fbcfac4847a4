#pragma once
// `sluice serve` settings: flags, each also readable from a SLUICE_* environment variable.

#include "sluice/http/server.hpp"

#include <CLI/App.hpp>

#include <string>

namespace sluice::app {

struct ServeOptions {
  http::ServerOptions server;
  std::size_t compute_threads = 0;
  std::string context_url;  // empty: /generate reads the built-in local context
  std::chrono::milliseconds context_timeout{2'000};
  std::string data_dir = "data";
  std::string ai_rate_limit = "10/minute";
  std::string log_level = "info";
};

/// Adds the `serve` flags to `command`, writing into `options` when parsed.
void add_serve_flags(CLI::App& command, ServeOptions& options);

}  // namespace sluice::app
