#pragma once
// Runs a Sluice App in-process on an ephemeral port, for tests that need a real server
// (the library's own server tests, and real upstreams for client and e2e tests).

#include "sluice/api/app.hpp"

#include <future>
#include <thread>

namespace sluice::test {

class RunningApp {
 public:
  /// Starts `app.run()` on a background thread and waits until it listens.
  explicit RunningApp(App& app, http::ServerOptions options = {});
  /// Stops the server gracefully and joins.
  ~RunningApp();
  std::uint16_t port() const { return port_; }
  std::string url(const std::string& path) const { return "http://127.0.0.1:" + std::to_string(port_) + path; }

 private:
  App& app_;
  std::promise<std::uint16_t> listening_;
  std::thread thread_;
  std::uint16_t port_ = 0;
};

}  // namespace sluice::test
