#include "sluice/http/server.hpp"

#include "connection.hpp"
#include "disconnect_watch.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <optional>
#include <stdexcept>
#include <thread>

namespace sluice::http {

namespace asio = boost::asio;
using asio::ip::tcp;

namespace {

/// The server's TLS settings: TLS 1.2 and later, the certificate chain and key from PEM files.
/// A file that cannot be used is a start-up error that names it.
asio::ssl::context make_tls_context(const ServerOptions& options) {
  if (options.tls_cert_file.empty() != options.tls_key_file.empty())
    throw std::runtime_error("TLS needs both a certificate file and a key file (--tls-cert and --tls-key)");
  asio::ssl::context tls(asio::ssl::context::tls_server);
  tls.set_options(asio::ssl::context::default_workarounds | asio::ssl::context::no_sslv2 |
                  asio::ssl::context::no_sslv3 | asio::ssl::context::no_tlsv1 | asio::ssl::context::no_tlsv1_1 |
                  asio::ssl::context::single_dh_use);
  boost::system::error_code ec;
  tls.use_certificate_chain_file(options.tls_cert_file, ec);
  if (ec)
    throw std::runtime_error("cannot use TLS certificate file '" + options.tls_cert_file + "': " + ec.message());
  tls.use_private_key_file(options.tls_key_file, asio::ssl::context::pem, ec);
  if (ec) throw std::runtime_error("cannot use TLS key file '" + options.tls_key_file + "': " + ec.message());
  return tls;
}

}  // namespace

struct Server::Impl {
  Impl(ServerOptions opts, const Router& router, di::Container& container, core::ComputePool& compute,
       std::vector<Middleware> middleware, std::vector<RequestObserver> observers, std::shared_ptr<ServerStats> stats)
      : options(std::move(opts)),
        state{options, router, container, compute, {}, !middleware.empty(), std::move(observers),
              stats ? std::move(stats) : std::make_shared<ServerStats>()},
        workers(options.io_threads == 0 ? core::available_cpus() : options.io_threads) {
    for (auto& worker : workers) guards.emplace_back(asio::make_work_guard(worker.io));
    state.pipeline = detail::build_pipeline(std::move(middleware));
    if (!options.tls_cert_file.empty() || !options.tls_key_file.empty()) {
      tls.emplace(make_tls_context(options));
      state.tls = &*tls;
    }
  }

  detail::Worker& acceptor_worker() { return workers.front(); }

  /// Past max_connections: one non-blocking write of a canned 503 (it fits any fresh socket's
  /// send buffer) and close, without reading the request.
  template <class Socket>
  void reject(Socket& socket) {
    static constexpr std::string_view kResponse =
        "HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\nRetry-After: 1\r\n"
        "Connection: close\r\nContent-Length: 81\r\n\r\n"
        R"({"code":"too_many_connections","message":"The server is at its connection limit"})";
    state.stats->rejected_connections.fetch_add(1, std::memory_order_relaxed);
    boost::system::error_code ignored;
    socket.non_blocking(true, ignored);
    socket.write_some(asio::buffer(kResponse), ignored);
    socket.shutdown(tcp::socket::shutdown_send, ignored);
    socket.close(ignored);
  }

  asio::awaitable<void> accept_loop() {
    std::size_t next = 0;
    for (;;) {
      detail::Worker& target = workers[next++ % workers.size()];
      auto [ec, socket] = co_await acceptor->async_accept(target.io, asio::as_tuple(asio::use_awaitable));
      if (ec == asio::error::operation_aborted || !acceptor->is_open()) co_return;
      if (ec) {
        // Typically EMFILE: back off briefly instead of spinning on a full descriptor table.
        spdlog::warn("accept failed: {}", ec.message());
        asio::steady_timer pause(acceptor_worker().io, std::chrono::milliseconds(10));
        co_await pause.async_wait(asio::as_tuple(asio::use_awaitable));
        continue;
      }
      if (options.max_connections != 0 && state.stats->open_connections.load() >= options.max_connections) {
        reject(socket);
        continue;
      }
      ++state.stats->open_connections;  // here, not on the connection's thread: the cap sees it at once
      auto watch = std::make_shared<detail::DisconnectWatch>(target.io, state.tls != nullptr);
      auto slot = watch->handler_slot();
      // The completion handler owns the watch: its signal outlives every use of the slot.
      asio::co_spawn(target.io, detail::serve_connection(std::move(socket), target, state, watch),
                     asio::bind_cancellation_slot(slot, [watch](std::exception_ptr failure) {
                       if (!failure) return;
                       try {
                         std::rethrow_exception(failure);
                       } catch (const std::exception& e) {
                         spdlog::error("connection failed: {}", e.what());
                       }
                     }));
    }
  }

  /// Runs on the acceptor worker: waits for busy connections, then stops every event loop.
  asio::awaitable<void> drain() {
    auto deadline = std::chrono::steady_clock::now() + options.shutdown_timeout;
    asio::steady_timer tick(acceptor_worker().io);
    while (state.stats->open_connections.load() > 0 && std::chrono::steady_clock::now() < deadline) {
      tick.expires_after(std::chrono::milliseconds(10));
      co_await tick.async_wait(asio::as_tuple(asio::use_awaitable));
    }
    if (auto left = state.stats->open_connections.load(); left > 0)
      spdlog::warn("shutdown deadline passed with {} connection(s) still open", left);
    for (auto& guard : guards) guard.reset();
    for (auto& worker : workers) worker.io.stop();
  }

  void begin_shutdown() {  // on the acceptor worker's thread
    if (is_stopping) return;
    is_stopping = true;
    spdlog::info("shutting down: draining {} connection(s)", state.stats->open_connections.load());
    boost::system::error_code ignored;
    if (acceptor) acceptor->close(ignored);
    if (signals) signals->cancel(ignored);
    for (auto& worker : workers) asio::post(worker.io, [&worker] { detail::close_idle_connections(worker); });
    asio::co_spawn(acceptor_worker().io, drain(), asio::detached);
  }

  ServerOptions options;
  std::optional<asio::ssl::context> tls;
  detail::ServerState state;
  std::vector<detail::Worker> workers;
  std::vector<asio::executor_work_guard<asio::io_context::executor_type>> guards;
  std::optional<tcp::acceptor> acceptor;
  std::optional<asio::signal_set> signals;
  bool is_stopping = false;  // acceptor worker's thread only
};

Server::Server(ServerOptions options, const Router& router, di::Container& container, core::ComputePool& compute,
               std::vector<Middleware> middleware, std::vector<RequestObserver> observers,
               std::shared_ptr<ServerStats> stats)
    : impl_(std::make_unique<Impl>(std::move(options), router, container, compute, std::move(middleware),
                                   std::move(observers), std::move(stats))) {}

Server::~Server() = default;

void Server::listen() {
  auto& io = impl_->acceptor_worker().io;
  tcp::resolver resolver(io);
  auto endpoints = resolver.resolve(impl_->options.host, std::to_string(impl_->options.port));
  tcp::endpoint endpoint = endpoints.begin()->endpoint();
  auto& acceptor = impl_->acceptor.emplace(io);
  acceptor.open(endpoint.protocol());
  acceptor.set_option(asio::socket_base::reuse_address(true));
  acceptor.bind(endpoint);
  acceptor.listen(asio::socket_base::max_listen_connections);
  // Signals are caught from the moment the port is announced: a SIGTERM right after start-up
  // must still shut down gracefully rather than kill the process.
  if (impl_->options.handle_signals) {
    impl_->signals.emplace(io, SIGINT, SIGTERM);
    impl_->signals->async_wait([impl = impl_.get()](boost::system::error_code ec, int signal) {
      if (ec) return;
      spdlog::info("received signal {}", signal);
      impl->begin_shutdown();
    });
  }
}

std::uint16_t Server::port() const { return impl_->acceptor ? impl_->acceptor->local_endpoint().port() : 0; }

void Server::run() {
  auto& main = impl_->acceptor_worker();
  if (!impl_->acceptor) listen();
  asio::co_spawn(main.io, impl_->accept_loop(), asio::detached);
  // Deadline precision is a tenth of the shortest timeout, between 10 ms and 1 s.
  auto shortest = std::min(impl_->options.read_timeout, impl_->options.write_timeout);
  auto tick = std::clamp<std::chrono::milliseconds>(shortest / 10, std::chrono::milliseconds(10),
                                                    std::chrono::milliseconds(1000));
  for (auto& worker : impl_->workers) asio::co_spawn(worker.io, detail::sweep_deadlines(worker, tick), asio::detached);
  std::vector<std::thread> threads;
  for (std::size_t i = 1; i < impl_->workers.size(); ++i)
    threads.emplace_back([&worker = impl_->workers[i]] { worker.io.run(); });
  main.io.run();
  for (auto& thread : threads) thread.join();
}

void Server::stop() {
  asio::post(impl_->acceptor_worker().io, [impl = impl_.get()] { impl->begin_shutdown(); });
}

}  // namespace sluice::http
