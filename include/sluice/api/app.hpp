#pragma once
// The application object: routes, services, lifespan and the server, in one place
// (what `app = FastAPI()` is in Python).

#include "sluice/core/compute_pool.hpp"
#include "sluice/di/container.hpp"
#include "sluice/http/router.hpp"
#include "sluice/http/server.hpp"

#include <atomic>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string_view>

namespace sluice::api {

class App {
 public:
  /// `compute_threads` 0: one per CPU this process may run on.
  explicit App(std::size_t compute_threads = 0);
  ~App();

  App& get(std::string_view pattern, http::Handler handler);
  App& post(std::string_view pattern, http::Handler handler);
  App& put(std::string_view pattern, http::Handler handler);
  App& del(std::string_view pattern, http::Handler handler);
  App& route(http::Verb method, std::string_view pattern, http::Handler handler);

  /// Where services are registered (`services().add_singleton<T>(...)`) and lifespan hooks live.
  di::Container& services() { return container_; }
  core::ComputePool& compute() { return compute_; }
  const http::Router& router() const { return router_; }

  /// Starts the services, serves until SIGINT/SIGTERM or stop(), drains in-flight requests,
  /// then runs shutdown hooks and waits for queued compute work. `on_listening` gets the bound
  /// port once requests can be accepted. Throws if the address cannot be bound.
  void run(http::ServerOptions options, std::function<void(std::uint16_t port)> on_listening = {});
  /// Begins a graceful shutdown; safe from any thread, before or during run().
  void stop();

 private:
  http::Router router_;
  di::Container container_;
  core::ComputePool compute_;
  std::mutex server_mutex_;  // guards server_ between run() and stop() on other threads
  http::Server* server_ = nullptr;
  bool stop_requested_ = false;
};

}  // namespace sluice::api

namespace sluice {
using App = api::App;
}
