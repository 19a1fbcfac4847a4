#include "operations.hpp"

#include "job_service.hpp"
#include "protection.hpp"

#include "sluice/ai/generator.hpp"
#include "sluice/cache/memory_cache.hpp"
#include "sluice/obs/observers.hpp"

#include <boost/json/object.hpp>
#include <fmt/format.h>

namespace sluice::app {

namespace asio = boost::asio;
namespace json = boost::json;
using api::Depends;
using http::Response;

namespace {

/// Job counts by state, rendered at scrape time (read through the storage pool, off the IO thread).
std::string job_metrics(const std::vector<std::pair<jobs::JobState, std::size_t>>& counts) {
  std::string out =
      "# HELP sluice_jobs Jobs in the job store, by state.\n"
      "# TYPE sluice_jobs gauge\n";
  for (auto state : {jobs::JobState::queued, jobs::JobState::running, jobs::JobState::retrying,
                     jobs::JobState::succeeded, jobs::JobState::failed, jobs::JobState::cancelled}) {
    std::size_t n = 0;
    for (auto [s, count] : counts)
      if (s == state) n = count;
    out += fmt::format("sluice_jobs{{state=\"{}\"}} {}\n", jobs::to_string(state), n);
  }
  return out;
}

/// Hits, misses and backend errors of the server's caches.
std::string cache_metrics(const std::vector<std::pair<std::string_view, const cache::Cache*>>& caches) {
  std::string out;
  auto family = [&](std::string_view name, std::string_view help, auto value) {
    out += fmt::format("# HELP {} {}\n# TYPE {} counter\n", name, help, name);
    for (const auto& [cache_name, cache] : caches) out += fmt::format("{}{{cache=\"{}\"}} {}\n", name, cache_name, value(*cache));
  };
  family("sluice_cache_hits_total", "Cache lookups that found a value.", [](const cache::Cache& c) { return c.hits(); });
  family("sluice_cache_misses_total", "Cache lookups that found nothing (backend errors included).",
         [](const cache::Cache& c) { return c.misses(); });
  family("sluice_cache_errors_total", "Cache backend failures (served as misses).",
         [](const cache::Cache& c) { return c.errors(); });
  return out;
}

}  // namespace

void add_operations(App& app, const ServeOptions& options, const std::shared_ptr<obs::Registry>& registry) {
  app.observe(obs::http_metrics(registry));
  if (options.access_log) app.observe(obs::access_log());

  app.get(
      "/metrics",
      [&app](Depends<obs::Registry> registry, Depends<JobService> jobs, Depends<Protection> protection,
             Depends<cache::Cache> shared_cache, Depends<cache::MemoryCache> responses) -> asio::awaitable<Response> {
        auto text = registry->render();
        text += protection->metrics(app.server_stats());
        std::vector<std::pair<std::string_view, const cache::Cache*>> caches;
        caches.emplace_back("shared", &*shared_cache);
        caches.emplace_back("responses", &*responses);
        text += cache_metrics(caches);
        auto counts = co_await jobs->call([&] { return jobs->queue().store().counts(); });
        text += job_metrics(counts);
        co_return Response::text(std::move(text), "text/plain; version=0.0.4; charset=utf-8");
      },
      {.summary = "Prometheus metrics", .tags = {"operations"}});

  const bool uses_redis = !options.jobs.redis_url.empty();
  app.get(
      "/ready",
      [uses_redis](Depends<JobService> jobs, Depends<ai::Generator> model) -> asio::awaitable<Response> {
        bool store_ok = co_await jobs->call([&] { return jobs->queue().store().is_healthy(); });
        json::object checks{
            {"job_store", {{"status", store_ok ? "ok" : "unavailable"}, {"backend", uses_redis ? "redis" : "sqlite"}}},
            {"model", {{"status", "ok"}, {"name", model->model()}}}};
        co_return Response::json({{"status", store_ok ? "ready" : "not_ready"}, {"checks", std::move(checks)}},
                                 store_ok ? http::Status::ok : http::Status::service_unavailable);
      },
      {.summary = "Readiness", .description = "Each dependency's state; 503 while one is unavailable.",
       .tags = {"operations"}});
}

}  // namespace sluice::app
