#pragma once
// Internal to the HTTP layer: one IO thread's state and the per-connection coroutine.

#include "sluice/core/compute_pool.hpp"
#include "sluice/di/container.hpp"
#include "sluice/http/router.hpp"
#include "sluice/http/server.hpp"

#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <atomic>
#include <chrono>
#include <list>
#include <memory>

namespace boost::asio::ssl {
class context;
}

namespace sluice::http::detail {

using Clock = std::chrono::steady_clock;

/// A live connection as its worker sees it: for deadlines and for shutdown.
struct Connection {
  boost::asio::ip::tcp::socket* socket;
  bool is_busy = false;  // a request is being read, handled or answered
  // When the pending read or write must be done; max while the handler runs. The worker's
  // sweeper cancels IO past it: one timer per thread instead of a timer start/cancel per read
  // and write, which cost more than parsing /health.
  Clock::time_point deadline = Clock::time_point::max();
  bool has_timed_out = false;
};

/// One IO thread: its event loop and the connections on it. `connections` and `is_closing`
/// belong to the worker's thread and are only touched there.
class DisconnectWatch;

struct Worker {
  boost::asio::io_context io{1};
  std::list<Connection*> connections;
  bool is_closing = false;
};

/// Cancels the IO of every connection of `worker` whose deadline has passed, every `tick`,
/// until the worker's event loop stops.
boost::asio::awaitable<void> sweep_deadlines(Worker& worker, std::chrono::milliseconds tick);

/// What every connection shares; all of it outlives the connections.
struct ServerState {
  const ServerOptions& options;
  const Router& router;
  di::Container& container;
  core::ComputePool& compute;
  Handler pipeline;  // the middleware chain around route dispatch, built once
  bool has_middleware;
  std::vector<RequestObserver> observers;
  std::shared_ptr<ServerStats> stats;  // open_connections is counted when a connection is accepted
  boost::asio::ssl::context* tls = nullptr;  // set: every connection speaks TLS
};

/// The end of every middleware chain: the matched route's handler, or the 404/405 answer.
/// A handler's exception becomes a logged 500.
boost::asio::awaitable<Response> dispatch_route(Request& request);

/// Composes `middleware` (outermost first) around dispatch_route.
Handler build_pipeline(std::vector<Middleware> middleware);

/// Serves one connection until it closes: keep-alive, pipelining, limits, deadlines. Spawn it
/// bound to `watch->handler_slot()`, so that a client who leaves cancels its handler.
boost::asio::awaitable<void> serve_connection(boost::asio::ip::tcp::socket socket, Worker& worker,
                                              ServerState& state, std::shared_ptr<DisconnectWatch> watch);

/// On the worker's thread: refuse further keep-alive and close connections waiting for a request.
void close_idle_connections(Worker& worker);

}  // namespace sluice::http::detail
