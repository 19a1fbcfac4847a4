#include "compose.hpp"

#include "console.hpp"
#include "context_source.hpp"
#include "job_service.hpp"
#include "model_stack.hpp"
#include "operations.hpp"
#include "pipeline_routes.hpp"
#include "protection.hpp"

#include "sluice/ai/batches.hpp"
#include "sluice/ai/openai.hpp"
#include "sluice/ai/openai_routes.hpp"
#include "sluice/api/ownership.hpp"
#include "sluice/cache/memory_cache.hpp"
#include "sluice/cache/redis_cache.hpp"
#include "sluice/cache/response_cache.hpp"
#include "sluice/client/http_client.hpp"
#include "sluice/client/redis_client.hpp"
#include "sluice/jobs/demo.hpp"
#include "sluice/jobs/routes.hpp"
#include "sluice/jobs/schedule_routes.hpp"
#include "sluice/jobs/scheduler.hpp"
#include "sluice/jobs/work_routes.hpp"
#include "sluice/limits/redis_counter.hpp"
#include "sluice/obs/metrics.hpp"
#include "sluice/rag/routes.hpp"

#include <filesystem>
#include <mutex>
#include <string>
#include <unordered_map>

namespace sluice::server {

namespace {

/// sluice_upstream_requests_total{host,outcome} and sluice_upstream_request_duration_seconds{host}.
/// The series of one (host, outcome) are resolved once and kept: the registry's lookups render
/// label strings, which cost more than a pooled call's own work.
std::function<void(const client::CallRecord&)> upstream_metrics(std::shared_ptr<obs::Registry> registry) {
  struct Series {
    obs::Histogram* duration;
    obs::Counter* calls;
  };
  struct Known {
    std::mutex mutex;  // guards by_key: calls finish on every IO thread
    std::unordered_map<std::string, Series> by_key;
  };
  return [registry = std::move(registry), known = std::make_shared<Known>()](const client::CallRecord& call) {
    std::string outcome = call.status != 0 ? std::to_string(call.status) : std::string(call.error_code);
    thread_local std::string key;  // reused: looking up a known series allocates nothing
    key.assign(call.host).append(1, ' ').append(outcome);
    Series series;
    {
      std::lock_guard lock(known->mutex);
      auto it = known->by_key.find(key);
      if (it == known->by_key.end()) {
        obs::Labels host{{"host", std::string(call.host)}};
        Series resolved{&registry->histogram("sluice_upstream_request_duration_seconds",
                                             "Upstream HTTP calls made by handlers, by host.", host),
                        &registry->counter("sluice_upstream_requests_total",
                                           "Upstream HTTP calls by host and outcome (status or error code).",
                                           {{"host", std::string(call.host)}, {"outcome", std::move(outcome)}})};
        it = known->by_key.emplace(key, resolved).first;
      }
      series = it->second;
    }
    series.duration->observe(std::chrono::duration<double>(call.elapsed).count());
    series.calls->inc();
  };
}

/// The datasets: SQLite under <data_dir>/rag, or PostgreSQL shared by every node.
void add_datasets(App& app, const ServeOptions& options, std::shared_ptr<postgres::Database> database) {
  const bool is_builtin_embedder = options.ai.provider_url.empty() && options.ai.local_embedding_models.empty();
  const double vector_weight = hybrid_vector_weight(options.rag, is_builtin_embedder);
  auto& services = app.services();
  services.add_singleton<rag::Datasets>(std::function<std::shared_ptr<rag::Datasets>(di::Container&)>(
      [data_dir = options.jobs.data_dir, database, vector_weight](di::Container& c) {
        return open_datasets(data_dir, database, c.get<ai::Embedder>(), vector_weight);
      }));
  // A shared database is reached (and its schema migrated) before serving, not on the first
  // request: a wrong URL stops the start with its reason.
  if (database) services.on_startup([&services] { services.get<rag::Datasets>(); });
  services.on_shutdown([&services] { services.get<rag::Datasets>()->save_all(); });
}

/// GET /generate's context: a remote context API, a dataset, or the built-in passages; cached
/// when --context-cache-ttl-ms is set.
std::shared_ptr<ContextSource> context_source(App& app, const ServeOptions& options,
                                              const std::shared_ptr<cache::Cache>& shared_cache) {
  std::shared_ptr<ContextSource> context = std::make_shared<LocalContextSource>();
  auto& services = app.services();
  if (options.context_url.empty() && options.rag.context_dataset > 0)
    context = std::make_shared<DatasetContextSource>([&services] { return services.get<rag::Datasets>(); },
                                                     app.compute(), options.rag.context_dataset);
  if (!options.context_url.empty()) {
    if (!client::is_supported_url(options.context_url))
      throw std::runtime_error("--context-url must be an http:// or https:// URL with a host, not '" +
                               options.context_url + "'");
    auto client = client::HttpClient::install(
        services, {.ca_file = options.ai.provider_ca_file, .on_call = upstream_metrics(app.metrics())});
    context = std::make_shared<RemoteContextSource>(client, options.context_url, options.context_timeout);
  }
  if (options.context_cache_ttl.count() > 0)
    context = std::make_shared<CachedContextSource>(context, shared_cache, options.context_cache_ttl);
  return context;
}

}  // namespace

void compose_server(App& app, const ServeOptions& options) {
  auto& services = app.services();
  auto registry = app.metrics();
  std::shared_ptr<client::RedisClient> redis;
  if (!options.jobs.redis_url.empty()) redis = client::RedisClient::install(services, {.url = options.jobs.redis_url});
  auto protection = std::make_shared<Protection>(
      app, options.protection, redis ? limits::redis_counters(redis) : limits::memory_counters());
  services.add_singleton<Protection>(protection);
  // The cache handlers get through DI: shared by every server when Redis is configured.
  std::shared_ptr<cache::Cache> shared_cache;
  if (redis)
    shared_cache = std::make_shared<cache::RedisCache>(redis, cache::RedisCacheOptions{.metrics = registry, .name = "shared"});
  else
    shared_cache = std::make_shared<cache::MemoryCache>(cache::MemoryCacheOptions{.metrics = registry, .name = "shared"});
  services.add_singleton<cache::Cache>(shared_cache);
  auto response_cache =
      std::make_shared<cache::MemoryCache>(cache::MemoryCacheOptions{.metrics = registry, .name = "responses"});
  services.add_singleton<cache::MemoryCache>(response_cache);

  add_model_stack(app, build_model_stack(options.ai, {.compute = app.compute(),
                                                      .metrics = registry,
                                                      .on_call = upstream_metrics(registry),
                                                      .generation_gate = protection->model_gate("generate")}));
  auto jobs = std::make_shared<JobService>(options.jobs, redis, registry);
  services.add_singleton<JobService>(jobs);
  services.on_startup([jobs, compute = &app.compute()] { jobs->start_workers(compute); });
  services.on_shutdown([jobs] { jobs->stop_workers(); });
  auto ownership = std::make_shared<const api::Ownership>(protection->requires_api_key(), options.rag.admin_keys);
  auto database = open_database(options.jobs.database_url);
  if (database) services.add_singleton<postgres::Database>(database);
  add_datasets(app, options, database);
  rag::handle_indexing_jobs(jobs->queue(), [&services] { return services.get<rag::Datasets>(); });
  services.add_singleton<ContextSource>(context_source(app, options, shared_cache));

  http::Guards generate_guards;
  if (options.response_cache_ttl.count() > 0)
    generate_guards.push_back(cache::response_cache(response_cache, options.response_cache_ttl));
  app.include(pipeline_routes({.generate_guards = std::move(generate_guards),
                               .model_middleware = protection->model_route_middleware(),
                               .model_responses = Protection::model_route_responses(),
                               .ai_rate_limit = protection->rate_limit(options.protection.ai_rate_limit)}));
  app.include(jobs::demo_routes({.queue = jobs->shared_queue(),
                                 .job_defaults = jobs->defaults(),
                                 .owner = [ownership](const http::Request& request) { return ownership->owner(request); }}));
  app.include(jobs::work_routes({.queue = jobs->shared_queue(),
                                 .job_defaults = jobs->defaults(),
                                 .owner = [ownership](const http::Request& request) { return ownership->owner(request); },
                                 .may_work = [ownership](const http::Request& request) {
                                   return ownership->sees_all(request);
                                 }}));
  app.include(jobs::routes(jobs->shared_queue(), {.prefix = "/jobs", .tags = {"jobs"}},
                           [ownership](const http::Request& request) { return ownership->viewer(request); }));
  app.include(jobs::schedule_routes(
      {.queue = jobs->shared_queue(),
       .job_defaults = jobs->defaults(),
       .owner = [ownership](const http::Request& request) { return ownership->owner(request); },
       .viewer = [ownership](const http::Request& request) { return ownership->viewer(request); }}));
  // Every node fires schedules; the store's claim on each tick keeps them from firing twice.
  auto scheduler = std::make_shared<jobs::Scheduler>(jobs->shared_queue());
  services.on_startup([scheduler] { scheduler->start(); });
  services.on_shutdown([scheduler] { scheduler->stop(); });
  app.include(rag::routes({.queue = jobs->shared_queue(),
                           .job_defaults = jobs->defaults(),
                           .ownership = ownership,
                           .upload_limit = std::max(options.rag.upload_limit, options.server.body_limit)}));
  add_operations(app, options, database);
  const auto openai_errors = ai::openai::error_format();
  app.include(ai::openai::routes({.limits = options.ai.limits,
                                  .model_middleware = protection->model_route_middleware(openai_errors.respond),
                                  .model_responses = Protection::model_route_responses()}));
  auto batches = options.batches;  // --file-size-limit, --batch-concurrency
  batches.data_dir = options.jobs.data_dir;
  batches.database = database;
  batches.limits = options.ai.limits;
  batches.job_defaults = jobs->defaults();
  batches.ownership = ownership;
  app.include(ai::openai::batch_routes(batches, jobs->shared_queue(), services));
  add_console(app, options.console_dir);
}

}  // namespace sluice::server
