// `sluice`: the ready-made AI backend. Subcommands: serve, worker, version.

#include "compose.hpp"
#include "eval_command.hpp"
#include "job_service.hpp"
#include "model_stack.hpp"
#include "serve_options.hpp"

#include "sluice/core/logging.hpp"
#include "sluice/rag/routes.hpp"

#include <CLI/CLI.hpp>
#include <spdlog/spdlog.h>

#include <csignal>
#include <cstdio>
#include <filesystem>

namespace {

int serve(const sluice::server::ServeOptions& options) {
  sluice::core::configure_logging(options.log_level);
  std::filesystem::create_directories(options.jobs.data_dir);
  sluice::App app(options.compute_threads);
  sluice::server::compose_server(app, options);
  auto server = options.server;
  // Large uploads are spooled beside the data they become, not to /tmp (tmpfs on some systems).
  server.spool_dir = options.jobs.data_dir;
  app.run(server, [&](std::uint16_t port) {
    // Scripts and tests wait for this exact line on stdout to know the port.
    const char* scheme = options.server.tls_cert_file.empty() ? "http" : "https";
    std::printf("sluice listening on %s://%s:%u\n", scheme, options.server.host.c_str(), port);
    std::fflush(stdout);
    spdlog::info("listening on {}:{} (data dir {}, context {})", options.server.host, port, options.jobs.data_dir,
                 options.context_url.empty() ? "built-in" : options.context_url);
  });
  spdlog::info("stopped");
  return 0;
}

/// A standalone worker process: runs jobs from the shared store until SIGINT/SIGTERM.
/// Batches run here too: the worker builds the same model services as `serve` from its flags.
int work(const sluice::server::JobOptions& options, const sluice::server::AiOptions& ai,
         sluice::ai::openai::BatchOptions batches, const std::string& log_level) {
  sluice::core::configure_logging(log_level);
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);  // before any thread starts: they inherit it
  sluice::server::JobService jobs(options);
  sluice::core::ComputePool compute(sluice::core::available_cpus());
  auto models = sluice::server::build_model_stack(ai, {.compute = compute, .metrics = nullptr});
  // With --database-url, batches, files and datasets are the shared ones in PostgreSQL.
  auto database = sluice::server::open_database(options.database_url);
  batches.data_dir = options.data_dir;
  batches.database = database;
  batches.limits = ai.limits;
  // The models exist now, before any worker thread does: nothing races to build them.
  sluice::ai::openai::register_batch_job(jobs.queue(), batches, models.embedder, models.generator);
  // Indexing runs wherever the datasets are shared: with --database-url a worker writes chunks
  // and vectors to PostgreSQL, and every serving node catches up from its change log.
  std::shared_ptr<sluice::rag::Datasets> datasets;
  if (database) {
    datasets = sluice::server::open_datasets(options.data_dir, database, models.embedder, 1.0,
                                             /*serves_searches=*/false);
    sluice::rag::handle_indexing_jobs(jobs.queue(), [datasets] { return datasets; });
  }
  jobs.start_workers();
  std::printf("sluice worker running\n");
  std::fflush(stdout);
  int received = 0;
  sigwait(&signals, &received);
  spdlog::info("received signal {}: stopping workers", received);
  jobs.stop_workers();
  if (datasets) datasets->save_all();
  spdlog::info("stopped");
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  // A write past the file-size limit (RLIMIT_FSIZE) is then an EFBIG error that the stores
  // answer with 507, not a signal that kills the process with every request in flight.
  std::signal(SIGXFSZ, SIG_IGN);
  CLI::App cli{"Sluice: a high-performance backend for AI systems"};
  cli.require_subcommand(1);
  sluice::server::ServeOptions options;
  auto* serve_command = cli.add_subcommand("serve", "Run the HTTP server (with in-process job workers)");
  sluice::server::add_serve_flags(*serve_command, options);

  sluice::server::JobOptions worker_options{.workers = sluice::core::available_cpus()};
  std::string worker_log_level = "info";
  auto* worker_command = cli.add_subcommand("worker", "Run job workers against the shared job store");
  sluice::server::add_job_flags(*worker_command, worker_options);
  sluice::server::AiOptions worker_ai;
  sluice::server::add_ai_flags(*worker_command, worker_ai);
  sluice::ai::openai::BatchOptions worker_batches;
  sluice::server::add_batch_flags(*worker_command, worker_batches);
  worker_command->add_option("--log-level", worker_log_level, "trace, debug, info, warn, error, critical or off")
      ->envname("SLUICE_LOG_LEVEL");

  sluice::server::EvalOptions eval_options;
  auto* eval_command = cli.add_subcommand("eval", "Load a BEIR data set into a running server and measure retrieval");
  sluice::server::add_eval_flags(*eval_command, eval_options);

  cli.add_subcommand("version", "Print the version")->callback([] { std::puts("sluice 0.1.0"); });
  CLI11_PARSE(cli, argc, argv);
  try {
    if (serve_command->parsed()) return serve(options);
    if (worker_command->parsed()) return work(worker_options, worker_ai, worker_batches, worker_log_level);
    if (eval_command->parsed()) return sluice::server::run_eval(eval_options);
  } catch (const std::exception& e) {
    spdlog::critical("sluice failed: {}", e.what());
    return 1;
  }
  return 0;
}
