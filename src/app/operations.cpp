#include "operations.hpp"

#include "job_service.hpp"
#include "protection.hpp"

#include "sluice/ai/generator.hpp"
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

}  // namespace

void add_operations(App& app, const ServeOptions& options, const std::shared_ptr<obs::Registry>& registry) {
  app.observe(obs::http_metrics(registry));
  if (options.access_log) app.observe(obs::access_log());

  app.get(
      "/metrics",
      [&app](Depends<obs::Registry> registry, Depends<JobService> jobs,
             Depends<Protection> protection) -> asio::awaitable<Response> {
        auto text = registry->render();
        text += protection->metrics(app.server_stats());
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
