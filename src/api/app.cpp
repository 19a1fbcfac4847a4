#include "sluice/api/app.hpp"

#include <spdlog/spdlog.h>

namespace sluice::api {

App::App(std::size_t compute_threads)
    : compute_(compute_threads == 0 ? core::available_cpus() : compute_threads) {
  container_.add_singleton<core::ComputePool>(std::shared_ptr<core::ComputePool>(&compute_, [](auto*) {}));
}

App::~App() = default;

void App::add(BoundRoute route) {
  // Route middleware wraps the bound handler once, at registration: routes without any pay nothing.
  auto& middleware = route.operation.doc.middleware;
  for (auto it = middleware.rbegin(); it != middleware.rend(); ++it)
    route.handler = [layer = std::move(*it), inner = std::move(route.handler)](http::Request& request) {
      return layer(request, inner);
    };
  middleware.clear();
  router_.add(route.operation.method, route.operation.path, std::move(route.handler));
  operations_.push_back(std::move(route.operation));
}

boost::json::object App::openapi() const { return openapi_document(info_, operations_, schemas_); }

void App::run(http::ServerOptions options, std::function<void(std::uint16_t)> on_listening) {
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
