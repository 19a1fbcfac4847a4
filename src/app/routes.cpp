#include "routes.hpp"

#include "access.hpp"
#include "console.hpp"
#include "context_source.hpp"
#include "dataset_routes.hpp"
#include "job_routes.hpp"
#include "job_service.hpp"
#include "model_admission.hpp"
#include "operations.hpp"
#include "protection.hpp"

#include "ai_services.hpp"
#include "batch_api.hpp"

#include "sluice/ai/generator.hpp"
#include "sluice/ai/openai.hpp"
#include "sluice/ai/openai_routes.hpp"
#include "sluice/cache/memory_cache.hpp"
#include "sluice/cache/redis_cache.hpp"
#include "sluice/cache/response_cache.hpp"
#include "sluice/client/http_client.hpp"
#include "sluice/client/redis_client.hpp"
#include "sluice/limits/redis_counter.hpp"
#include "sluice/obs/metrics.hpp"

#include <boost/describe/class.hpp>

#include <mutex>
#include <string>
#include <unordered_map>

namespace sluice::app {

namespace asio = boost::asio;
using api::Depends;
using api::Query;
using core::ComputePool;
using http::Request;
using http::Response;

struct Health {
  std::string status;
};
BOOST_DESCRIBE_STRUCT(Health, (), (status))

struct GenerateResult {
  std::string result;
};
BOOST_DESCRIBE_STRUCT(GenerateResult, (), (result))

struct ModelResponse {
  std::string response;
};
BOOST_DESCRIBE_STRUCT(ModelResponse, (), (response))

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

asio::awaitable<Health> health() { co_return Health{"ok"}; }

/// The article's pipeline: context over the async client, then the generator answers from it.
asio::awaitable<core::Result<GenerateResult>> generate(Query<"prompt", std::string> prompt,
                                                       Depends<ContextSource> context_source,
                                                       Depends<ai::Generator> generator, Request& request) {
  auto context = co_await context_source->fetch(*prompt, request.request_id());
  if (!context) co_return context.error();
  ai::GenerationRequest job;
  job.prompt = *prompt;
  job.context = std::move(*context);
  auto result = co_await generator->generate(std::move(job), {});
  if (!result) co_return result.error();
  co_return GenerateResult{std::move(result->text)};
}

asio::awaitable<core::Result<ModelResponse>> ai_generate(Query<"prompt", std::string> prompt,
                                                         Depends<ai::Generator> generator) {
  ai::GenerationRequest job;
  job.prompt = *prompt;
  // Awaited into a local first: GCC 12 miscompiles co_await inside a braced initialiser.
  auto response = co_await generator->generate(std::move(job), {});
  if (!response) co_return response.error();
  co_return ModelResponse{std::move(response->text)};
}

asio::awaitable<Response> ai(Request&) { co_return Response::json({{"result", "ok"}}); }

}  // namespace

void add_article_routes(App& app, const ServeOptions& options) {
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

  add_ai_services(app, options.ai, upstream_metrics(registry));
  // Model calls take an admission slot; the I/O a request waits on does not (model_admission.hpp).
  services.override_with<ai::Generator>(
      std::make_shared<AdmittedGenerator>(services.get<ai::Generator>(), protection->model_gate("generate")));
  auto jobs = std::make_shared<JobService>(options.jobs, redis, registry);
  services.add_singleton<JobService>(jobs);
  services.on_startup([jobs, compute = &app.compute()] { jobs->start_workers(compute); });
  services.on_shutdown([jobs] { jobs->stop_workers(); });
  services.add_singleton<Access>(std::make_shared<Access>(protection->requires_api_key(), options.rag.admin_keys));
  add_dataset_services(app, options, jobs);
  std::shared_ptr<ContextSource> context = std::make_shared<LocalContextSource>();
  if (options.context_url.empty() && options.rag.context_dataset > 0)
    context = dataset_context(app, options.rag.context_dataset);
  if (!options.context_url.empty()) {
    if (!client::is_supported_url(options.context_url))
      throw std::runtime_error("--context-url must be an http:// or https:// URL with a host, not '" +
                               options.context_url + "'");
    auto client = client::HttpClient::install(
        services, {.ca_file = options.ai.provider_ca_file, .on_call = upstream_metrics(registry)});
    context = std::make_shared<RemoteContextSource>(client, options.context_url, options.context_timeout);
  }
  if (options.context_cache_ttl.count() > 0)
    context = std::make_shared<CachedContextSource>(context, shared_cache, options.context_cache_ttl);
  services.add_singleton<ContextSource>(context);

  http::Guards generate_guards;
  if (options.response_cache_ttl.count() > 0)
    generate_guards.push_back(cache::response_cache(response_cache, options.response_cache_ttl));

  app.get("/health", health, {.summary = "Health", .tags = {"operations"}});
  app.get("/generate", generate,
          {.summary = "Generate with context",
           .description = "Fetches context for the prompt from the context API, then runs the model on the compute "
                          "pool. 502 when the context API is unreachable, 504 past its deadline.",
           .tags = {"ai"},
           .guards = std::move(generate_guards),
           .middleware = protection->model_route_middleware(),
           .responses = Protection::model_route_responses()});
  add_job_routes(app, jobs->shared_queue(), services.get<Access>());
  add_dataset_routes(app);
  add_operations(app, options);
  app.post("/ai/generate", ai_generate,
           {.summary = "Generate with the injected model",
            .tags = {"ai"},
            .middleware = protection->model_route_middleware(),
           .responses = Protection::model_route_responses()});
  app.get("/ai", ai,
          {.summary = "Rate-limited endpoint",
           .description = "Limited per client (default 10/minute); over the limit: 429 with Retry-After.",
           .tags = {"ai"},
           .guards = {protection->rate_limit(options.protection.ai_rate_limit)}});
  const auto openai_errors = ai::openai::error_format();
  app.include(ai::openai::routes({.limits = options.ai.limits,
                                  .model_middleware = protection->model_route_middleware(openai_errors.respond),
                                  .model_responses = Protection::model_route_responses()}));
  add_batch_api(app, options, jobs);
  add_console(app, options.console_dir);
}

}  // namespace sluice::app
