#include "serve_options.hpp"

#include <CLI/CLI.hpp>

namespace sluice::server {

namespace {

/// A millisecond flag stored in a std::chrono::milliseconds; positive unless `allows_zero`.
CLI::Option* add_millis(CLI::App& command, const std::string& name, std::chrono::milliseconds& target,
                        const std::string& help, const std::string& env, bool allows_zero = false) {
  return command
      .add_option_function<long>(
          name, [&target](long ms) { target = std::chrono::milliseconds(ms); }, help)
      ->envname(env)
      ->check(allows_zero ? CLI::Validator(CLI::NonNegativeNumber) : CLI::Validator(CLI::PositiveNumber))
      ->default_str(std::to_string(target.count()));
}

}  // namespace

void add_serve_flags(CLI::App& command, ServeOptions& o) {
  command.add_option("--host", o.server.host, "Address to listen on")->envname("SLUICE_HOST")->capture_default_str();
  command.add_option("--port", o.server.port, "TCP port (0 picks a free one)")
      ->envname("SLUICE_PORT")
      ->capture_default_str();
  command.add_option("--workers", o.server.io_threads, "IO threads; 0 = one per available CPU")
      ->envname("SLUICE_WORKERS")
      ->capture_default_str();
  command.add_option("--compute-threads", o.compute_threads, "Compute pool threads; 0 = one per available CPU")
      ->envname("SLUICE_COMPUTE_THREADS")
      ->capture_default_str();
  command
      .add_option("--context-url", o.context_url,
                  "Context API that GET /generate calls as URL?query=PROMPT; empty = built-in local context")
      ->envname("SLUICE_CONTEXT_URL");
  add_millis(command, "--context-timeout-ms", o.context_timeout,
             "Deadline for the context call; past it /generate answers 504", "SLUICE_CONTEXT_TIMEOUT_MS");
  add_job_flags(command, o.jobs);
  command.add_option("--body-limit", o.server.body_limit, "Largest request body in bytes; larger → 413")
      ->envname("SLUICE_BODY_LIMIT")
      ->capture_default_str();
  add_millis(command, "--read-timeout-ms", o.server.read_timeout,
             "Time a client has to send a whole request (and keep-alive idle time) before it is closed",
             "SLUICE_READ_TIMEOUT_MS");
  add_millis(command, "--shutdown-timeout-ms", o.server.shutdown_timeout,
             "On SIGINT/SIGTERM, how long in-flight requests may take to finish", "SLUICE_SHUTDOWN_TIMEOUT_MS");
  add_protection_flags(command, o.protection);
  add_millis(command, "--context-cache-ttl-ms", o.context_cache_ttl,
             "Cache /generate's context per prompt this long, in Redis with --redis-url (0: off)",
             "SLUICE_CONTEXT_CACHE_TTL_MS", true);
  add_millis(command, "--response-cache-ttl-ms", o.response_cache_ttl,
             "Cache GET /generate's 200 responses per URL this long, in memory (0: off)", "SLUICE_RESPONSE_CACHE_TTL_MS",
             true);
  command.add_option("--max-connections", o.server.max_connections, "Open connections at most; past it 503 (0: no cap)")
      ->envname("SLUICE_MAX_CONNECTIONS")
      ->capture_default_str();
  command.add_option("--tls-cert", o.server.tls_cert_file, "Serve HTTPS with this PEM certificate chain (needs --tls-key)")
      ->envname("SLUICE_TLS_CERT");
  command.add_option("--tls-key", o.server.tls_key_file, "PEM private key of --tls-cert")->envname("SLUICE_TLS_KEY");
  command.add_option("--log-level", o.log_level, "trace, debug, info, warn, error, critical or off")
      ->envname("SLUICE_LOG_LEVEL")
      ->capture_default_str();
  command.add_flag("--access-log", o.access_log, "Log one JSON line per request")->envname("SLUICE_ACCESS_LOG");
  add_ai_flags(command, o.ai);
  add_rag_flags(command, o.rag);
  add_batch_flags(command, o.batches);
  command.add_option("--console-dir", o.console_dir,
                     "The built web console served at /console; empty = <build dir>/console or ../share/sluice/console "
                     "beside the executable")
      ->envname("SLUICE_CONSOLE_DIR");
}

void add_protection_flags(CLI::App& command, ProtectionOptions& o) {
  command.add_option("--rate-limit", o.rate_limit, "Limit per client over all routes, e.g. 1000/second;50000/hour")
      ->envname("SLUICE_RATE_LIMIT");
  command.add_option("--ai-rate-limit", o.ai_rate_limit, "Limit for GET /ai per client, e.g. 10/minute")
      ->envname("SLUICE_AI_RATE_LIMIT")
      ->capture_default_str();
  command.add_option("--rate-limit-key", o.rate_limit_key, "Who a client is: address, or api_key (Bearer token)")
      ->envname("SLUICE_RATE_LIMIT_KEY")
      ->check(CLI::IsMember({"address", "api_key"}))
      ->capture_default_str();
  command.add_flag("--rate-limit-headers", o.rate_limit_headers,
                   "RateLimit-Limit/Remaining/Reset on allowed responses too (429s always have them)")
      ->envname("SLUICE_RATE_LIMIT_HEADERS");
  command
      .add_option("--trusted-proxies", o.trusted_proxies,
                  "Proxies (addresses or CIDR networks) whose X-Forwarded-For names the client")
      ->envname("SLUICE_TRUSTED_PROXIES")
      ->delimiter(',');
  command.add_option("--max-in-flight", o.max_in_flight, "Model calls (generation) run at once; a request waiting on I/O holds no slot")
      ->envname("SLUICE_MAX_IN_FLIGHT")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  command.add_option("--max-queue", o.max_queue, "Model calls waiting for a slot; past it 503")
      ->envname("SLUICE_MAX_QUEUE")
      ->capture_default_str();
  add_millis(command, "--queue-timeout-ms", o.queue_timeout, "Longest wait for a model slot; past it 503",
             "SLUICE_QUEUE_TIMEOUT_MS");
  add_millis(command, "--queue-target-ms", o.queue_target,
             "A fast model stage may queue past --max-queue while the expected wait stays under this; 0: off",
             "SLUICE_QUEUE_TARGET_MS", true);
  add_millis(command, "--request-timeout-ms", o.request_timeout, "Deadline of a model route's request; past it 504",
             "SLUICE_REQUEST_TIMEOUT_MS");
  command.add_option("--api-keys-file", o.api_keys_file,
                     "File of API keys, one per line (also SLUICE_API_KEYS, comma-separated); set: "
                     "every route but /health, /ready, /metrics, the docs and the console needs Authorization: Bearer <key>")
      ->envname("SLUICE_API_KEYS_FILE");
}

void add_job_flags(CLI::App& command, JobOptions& o) {
  command.add_option("--data-dir", o.data_dir, "Directory for the server's data, e.g. the SQLite job database")
      ->envname("SLUICE_DATA_DIR")
      ->capture_default_str();
  command.add_option("--redis-url", o.redis_url, "Redis for the job queue, rate-limit counts and caches, shared by every server using it "
                     "(redis://host:port[/db]); empty = SQLite and memory")
      ->envname("SLUICE_REDIS_URL");
  command.add_option("--database-url", o.database_url, "PostgreSQL for datasets, shared by every server and worker "
                     "using it (postgresql://user:password@host:port/db); empty = SQLite in the data directory")
      ->envname("SLUICE_DATABASE_URL");
  command.add_option("--job-workers", o.workers, "Jobs run at once by this process (0: enqueue only)")
      ->envname("SLUICE_JOB_WORKERS")
      ->capture_default_str();
  add_millis(command, "--job-lease-ms", o.lease,
             "A running job's lease; a worker silent this long loses its job to another", "SLUICE_JOB_LEASE_MS");
  command.add_option("--job-max-attempts", o.max_attempts, "Attempts per job before it is dead-lettered")
      ->envname("SLUICE_JOB_MAX_ATTEMPTS")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  add_millis(command, "--job-backoff-ms", o.backoff, "First retry delay (doubles per attempt, ±50% jitter)",
             "SLUICE_JOB_BACKOFF_MS");
  add_millis(command, "--job-timeout-ms", o.timeout, "Time limit of one attempt", "SLUICE_JOB_TIMEOUT_MS");
}

}  // namespace sluice::server
