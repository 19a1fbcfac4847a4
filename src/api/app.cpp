#include "sluice/api/app.hpp"

#include "sluice/api/background_tasks.hpp"
#include "sluice/client/http_client.hpp"

#include <spdlog/spdlog.h>

#include <stdexcept>

namespace sluice::api {

App::App(std::size_t compute_threads)
    : compute_(compute_threads == 0 ? core::available_cpus() : compute_threads) {
  container_.add_singleton<core::ComputePool>(std::shared_ptr<core::ComputePool>(&compute_, [](auto*) {}));
  container_.add_singleton<obs::Registry>(metrics_);
  // What FastAPI gives every app, without an install line: BackgroundTasks per request, and
  // one pooled HTTP client, built on first use (replace it with HttpClient::install(...)).
  BackgroundTasks::install(container_, compute_);
  auto http_client = std::make_shared<std::weak_ptr<client::HttpClient>>();
  container_.add_singleton<client::HttpClient>(std::function<std::shared_ptr<client::HttpClient>(di::Container&)>(
      [http_client](di::Container&) {
        auto made = std::make_shared<client::HttpClient>();
        *http_client = made;
        return made;
      }));
  container_.on_shutdown([http_client] {
    if (auto made = http_client->lock()) made->close_idle();
  });
  connection_metrics_ = metrics_->add_collector([stats = server_stats_](obs::Scrape& out) {
    out.gauge("sluice_connections", "Open client connections.", static_cast<double>(stats->open_connections.load()));
    out.counter("sluice_connections_rejected_total", "Connections refused at the connection cap.",
                static_cast<double>(stats->rejected_connections.load()));
  });
}

App::~App() = default;

void App::add(BoundRoute route) {
  if (is_mounted_) throw std::logic_error("route " + route.operation.path + " added after App::run(): add routes first");
  auto& doc = route.operation.doc;
  route.operation.guards = doc.guards;  // for the documentation of what they may answer
  routes_.push_back({route.operation.method, route.operation.path, std::move(route.handler), std::move(doc.guards),
                     std::move(doc.middleware), http::BodyRules{doc.body_limit, doc.may_spool_body}});
  doc.guards.clear();
  doc.middleware.clear();
  operations_.push_back(std::move(route.operation));
}

App& App::include(const RouteGroup& group, const RouteGroupOptions& extra) {
  for (auto& entry : group.entries()) {
    apply(extra, entry);
    add(entry.bind(entry.method, std::move(entry.path), std::move(entry.doc), schemas_));
  }
  return *this;
}

void App::mount_routes() {
  // Composed once, here: routes without guards or middleware pay nothing per request, and a
  // route's guards (app-wide first) share one coroutine frame.
  for (auto& route : routes_) {
    http::Guards guards = guards_;
    guards.insert(guards.end(), route.guards.begin(), route.guards.end());
    http::Handler handler = http::guarded(std::move(guards), std::move(route.handler));
    for (auto it = route.middleware.rbegin(); it != route.middleware.rend(); ++it)
      handler = [layer = std::move(*it), inner = std::move(handler)](http::Request& request) {
        return layer(request, inner);
      };
    router_.add(route.method, route.pattern, std::move(handler), route.body);
  }
  routes_.clear();
  is_mounted_ = true;
}

boost::json::object App::openapi() const { return openapi_document(info_, operations_, schemas_, guards_); }

void App::run(http::ServerOptions options, std::function<void(std::uint16_t)> on_listening) {
  mount_routes();
  install_docs();
  container_.start();
  http::Server server(std::move(options), router_, container_, compute_, middleware_, observers_, server_stats_);
  server.listen();
  {
    std::lock_guard lock(server_mutex_);
    server_ = &server;
    if (stop_requested_) server.stop();
  }
  if (on_listening) on_listening(server.port());
  server.run();
  {
    std::lock_guard lock(server_mutex_);
    server_ = nullptr;
  }
  // Shutdown hooks first (they stop job workers, whose handlers run on the compute pool), then
  // the compute pool finishes what the last requests queued.
  container_.stop();
  compute_.join();
}

void App::stop() {
  std::lock_guard lock(server_mutex_);
  stop_requested_ = true;
  if (server_) server_->stop();
}

}  // namespace sluice::api
