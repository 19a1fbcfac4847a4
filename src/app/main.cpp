// `sluice`: the ready-made AI backend. Subcommands: serve, version.

#include "routes.hpp"
#include "serve_options.hpp"

#include "sluice/core/logging.hpp"

#include <CLI/CLI.hpp>
#include <spdlog/spdlog.h>

#include <cstdio>
#include <filesystem>

namespace {

int serve(const sluice::app::ServeOptions& options) {
  sluice::core::configure_logging(options.log_level);
  std::filesystem::create_directories(options.data_dir);
  sluice::App app(options.compute_threads);
  sluice::app::add_article_routes(app, options);
  app.run(options.server, [&](std::uint16_t port) {
    // Scripts and tests wait for this exact line on stdout to know the port.
    std::printf("sluice listening on http://%s:%u\n", options.server.host.c_str(), port);
    std::fflush(stdout);
    spdlog::info("listening on {}:{} (data dir {}, context {})", options.server.host, port, options.data_dir,
                 options.context_url.empty() ? "built-in" : options.context_url);
  });
  spdlog::info("stopped");
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App cli{"Sluice: a high-performance backend for AI systems"};
  cli.require_subcommand(1);
  sluice::app::ServeOptions options;
  auto* serve_command = cli.add_subcommand("serve", "Run the HTTP server");
  sluice::app::add_serve_flags(*serve_command, options);
  cli.add_subcommand("version", "Print the version")->callback([] { std::puts("sluice 0.1.0"); });
  CLI11_PARSE(cli, argc, argv);
  if (!serve_command->parsed()) return 0;
  try {
    return serve(options);
  } catch (const std::exception& e) {
    spdlog::critical("sluice serve failed: {}", e.what());
    return 1;
  }
}
