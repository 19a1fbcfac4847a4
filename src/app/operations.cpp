#include "operations.hpp"

#include "job_service.hpp"

#include "sluice/ai/generator.hpp"
#include "sluice/obs/observers.hpp"

#include <boost/json/object.hpp>

namespace sluice::server {

namespace asio = boost::asio;
namespace json = boost::json;
using api::Depends;
using http::Response;

void add_operations(App& app, const ServeOptions& options, std::shared_ptr<postgres::Database> database) {
  app.observe(obs::http_metrics(app.metrics()));
  if (options.access_log) app.observe(obs::access_log());

  app.get(
      "/metrics",
      [](Depends<obs::Registry> registry) -> asio::awaitable<Response> {
        // Every component registered its figures when it was built: this renders the registry.
        auto text = co_await registry->scrape();
        co_return Response::text(std::move(text), "text/plain; version=0.0.4; charset=utf-8");
      },
      {.summary = "Prometheus metrics", .tags = {"operations"}});

  const bool uses_redis = !options.jobs.redis_url.empty();
  app.get(
      "/ready",
      [uses_redis, database](Depends<JobService> jobs, Depends<ai::Generator> model) -> asio::awaitable<Response> {
        bool store_ok = co_await jobs->queue().is_healthy();
        json::object checks{
            {"job_store", {{"status", store_ok ? "ok" : "unavailable"}, {"backend", uses_redis ? "redis" : "sqlite"}}},
            {"model", {{"status", "ok"}, {"name", model->model()}}}};
        bool database_ok = true;
        if (database) {
          auto answer = co_await database->ping();
          database_ok = answer.has_value();
          json::object check{{"status", database_ok ? "ok" : "unavailable"}, {"backend", "postgresql"}};
          if (!database_ok) check["error"] = answer.error().message;
          checks["database"] = std::move(check);
        } else {
          checks["database"] = {{"status", "ok"}, {"backend", "sqlite"}};
        }
        const bool is_ready = store_ok && database_ok;
        co_return Response::json({{"status", is_ready ? "ready" : "not_ready"}, {"checks", std::move(checks)}},
                                 is_ready ? http::Status::ok : http::Status::service_unavailable);
      },
      {.summary = "Readiness", .description = "Each dependency's state; 503 while one is unavailable.",
       .tags = {"operations"}});
}

}  // namespace sluice::server
