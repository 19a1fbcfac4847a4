#pragma once
// The application object: routes, services, lifespan, documentation and the server, in one
// place (what `app = FastAPI()` is in Python).

#include "sluice/api/bind.hpp"
#include "sluice/api/operation.hpp"
#include "sluice/api/route_methods.hpp"
#include "sluice/api/route_group.hpp"
#include "sluice/api/schema_registry.hpp"
#include "sluice/core/compute_pool.hpp"
#include "sluice/di/container.hpp"
#include "sluice/http/router.hpp"
#include "sluice/http/server.hpp"
#include "sluice/obs/metrics.hpp"

#include <cstdint>
#include <filesystem>
#include <functional>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

namespace sluice::api {

/// Where the generated documentation is served. Empty URLs switch a page off.
struct DocsOptions {
  std::string openapi_url = "/openapi.json";
  std::string docs_url = "/docs";  // Swagger UI; its assets under <docs_url>/assets/
  /// A node_modules directory holding swagger-ui-dist; empty: search SLUICE_DOCS_ASSETS,
  /// ./node_modules and the directories around the executable.
  std::filesystem::path assets_dir;
};

class App : public RouteMethods<App> {
 public:
  /// `compute_threads` 0: one per CPU this process may run on.
  explicit App(std::size_t compute_threads = 0);
  ~App();

  /// Registers a handler: a coroutine taking `http::Request&` and returning `http::Response`,
  /// or a typed one whose parameters are Path/Query/Header/Cookie/Body/Depends values
  /// (validated, 422 on failure) and whose result is a model or any Codec-supported value.
  template <class F>
  App& route(http::Verb method, std::string_view pattern, F handler, RouteDoc doc = {}) {
    add(bind_route(std::move(handler), method, std::string(pattern), std::move(doc), schemas_));
    return *this;
  }

  /// Mounts every route of `group` (FastAPI's include_router), with `extra` applied on top of
  /// the group's own prefix, tags, guards and middleware.
  App& include(const RouteGroup& group, const RouteGroupOptions& extra = {});

  /// Adds middleware around every request; the first added is the outermost.
  App& use(http::Middleware middleware) {
    middleware_.push_back(std::move(middleware));
    return *this;
  }

  /// Adds a guard in front of every route (API keys, a global rate limit), before the routes'
  /// own guards; in the order added. Requests that match no route are not guarded.
  App& guard(std::shared_ptr<http::Guard> guard) {
    guards_.push_back(std::move(guard));
    return *this;
  }

  /// Adds an observer of every request (metrics, access logs): cheaper than middleware.
  App& observe(http::RequestObserver observer) {
    observers_.push_back(std::move(observer));
    return *this;
  }

  /// Where services are registered (`services().add_singleton<T>(...)`) and lifespan hooks live.
  di::Container& services() { return container_; }
  core::ComputePool& compute() { return compute_; }
  ApiInfo& info() { return info_; }
  /// Open and rejected connections of the running server (also in metrics()).
  const http::ServerStats& server_stats() const { return *server_stats_; }
  /// The app's metrics registry, also a DI singleton (`Depends<obs::Registry>`): components
  /// built with it report their figures there, and the server's connection counts are in it.
  const std::shared_ptr<obs::Registry>& metrics() const { return metrics_; }
  DocsOptions& docs() { return docs_; }

  /// The OpenAPI 3.1 document of every route registered so far.
  boost::json::object openapi() const;

  /// Starts the services, serves until SIGINT/SIGTERM or stop(), drains in-flight requests,
  /// runs shutdown hooks, then waits for queued compute work. `on_listening` gets the bound
  /// port once requests can be accepted. Throws if the address cannot be bound.
  void run(http::ServerOptions options, std::function<void(std::uint16_t port)> on_listening = {});
  /// Begins a graceful shutdown; safe from any thread, before or during run().
  void stop();

 private:
  /// A route as registered; it is mounted on the router by run(), once every app-wide guard is known.
  struct PendingRoute {
    http::Verb method;
    std::string pattern;
    http::Handler handler;
    http::Guards guards;
    std::vector<http::Middleware> middleware;
    http::BodyRules body;
  };
  void add(BoundRoute route);
  void mount_routes();
  void install_docs();

  http::Router router_;
  di::Container container_;
  core::ComputePool compute_;
  SchemaRegistry schemas_;
  std::vector<Operation> operations_;
  std::vector<PendingRoute> routes_;
  bool is_mounted_ = false;  // run() has mounted the routes: adding more is a bug
  http::Guards guards_;
  std::vector<http::Middleware> middleware_;
  std::vector<http::RequestObserver> observers_;
  ApiInfo info_;
  DocsOptions docs_;
  std::shared_ptr<http::ServerStats> server_stats_ = std::make_shared<http::ServerStats>();
  std::shared_ptr<obs::Registry> metrics_ = std::make_shared<obs::Registry>();
  obs::Collection connection_metrics_;
  std::mutex server_mutex_;  // guards server_ and stop_requested_ between run() and stop()
  http::Server* server_ = nullptr;
  bool stop_requested_ = false;
};

}  // namespace sluice::api

namespace sluice {
using App = api::App;
}
