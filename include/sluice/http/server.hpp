#pragma once
// The HTTP/1.1 server: IO threads, connections, graceful shutdown.

#include "sluice/core/compute_pool.hpp"
#include "sluice/di/container.hpp"
#include "sluice/http/router.hpp"

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace sluice::http {

struct ServerOptions {
  std::string host = "127.0.0.1";
  std::uint16_t port = 8000;  // 0 picks a free port; see Server::port()
  std::size_t io_threads = 0;  // 0: one per CPU this process may run on
  std::size_t header_limit = 16 * 1024;        // larger header block → 431
  /// Larger body → 413, refused before it is read. A route may set its own (http::BodyRules,
  /// api::RouteDoc::body_limit): document and file uploads accept more.
  std::uint64_t body_limit = 10 * 1024 * 1024;
  /// Bodies larger than this, or sent chunked, are read into an unlinked temporary file in
  /// `spool_dir` (empty: the system's temporary directory) and handed to the handler as a
  /// read-only mapping: a large upload never sits in the heap.
  std::uint64_t spool_above = 1024 * 1024;
  std::filesystem::path spool_dir;
  std::chrono::milliseconds read_timeout{30'000};  // a request (or keep-alive idle) past it → closed
  std::chrono::milliseconds write_timeout{30'000};
  std::chrono::milliseconds shutdown_timeout{10'000};  // in-flight requests get this long to finish
  bool handle_signals = true;  // SIGINT/SIGTERM begin a graceful shutdown
  /// X-Request-ID: keep the client's (1–128 visible ASCII characters) or make one; it is
  /// `req.request_id()` and goes back on the response.
  bool request_ids = true;
  /// Open connections at most (0: no cap). Past it a new connection gets 503 and is closed at
  /// once, so a flood of clients costs a bounded amount of memory.
  std::size_t max_connections = 0;
  /// Serve HTTPS: a PEM certificate chain (leaf first) and its PEM private key, both or neither.
  /// Unreadable or mismatched files make the Server constructor throw std::runtime_error.
  std::string tls_cert_file;
  std::string tls_key_file;
};

/// Live counts a server keeps, readable from any thread (for /metrics).
struct ServerStats {
  std::atomic<std::size_t> open_connections{0};
  std::atomic<std::uint64_t> rejected_connections{0};  // refused by max_connections
};

/// Serves `router` on `io_threads` event loops, one io_context per thread; each connection
/// lives on one thread, so a connection's state needs no locks.
class Server {
 public:
  /// `middleware` wraps every parsed request, outermost first; `observers` watch them.
  Server(ServerOptions options, const Router& router, di::Container& container, core::ComputePool& compute,
         std::vector<Middleware> middleware = {}, std::vector<RequestObserver> observers = {},
         std::shared_ptr<ServerStats> stats = nullptr);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  /// Binds and listens; throws std::system_error when the address is unavailable.
  void listen();
  /// The bound port (useful with port 0), valid after listen().
  std::uint16_t port() const;
  /// Serves until stop() (or a signal), then drains in-flight requests up to shutdown_timeout.
  void run();
  /// Begins a graceful shutdown: stop accepting, close idle connections, let busy ones finish.
  /// Safe from any thread, and more than once.
  void stop();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace sluice::http
