#pragma once
// Internal to the HTTP layer: notices a client that leaves while its request is being handled,
// and cancels what the handler awaits on its behalf.

#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>

#include <cstdint>
#include <memory>

namespace sluice::http::detail {

/// One per connection, on the connection's IO thread only. The connection coroutine is spawned
/// with handler_slot() (Beast's flex-awaitable example binds a slot per session the same way), so
/// emitting it cancels whatever the coroutine awaits at that moment: an upstream call, a queued
/// batch, a timer, a stream's next token. Asio then makes every later co_await in that coroutine
/// throw operation_aborted, so a handler cannot carry on unawares.
///
/// While a handler runs, a one-byte MSG_PEEK receive watches the socket: end of stream or an
/// error means the client left (nginx treats it the same way, answering 499); data means a
/// pipelined request, so the client is alive and watching stops until the next request. On TLS,
/// data that starts with an alert record (close_notify) also means the client left.
class DisconnectWatch : public std::enable_shared_from_this<DisconnectWatch> {
 public:
  DisconnectWatch(boost::asio::io_context& io, bool is_tls) : io_(io), is_tls_(is_tls) {}

  /// Bind the connection coroutine to this slot when spawning it.
  boost::asio::cancellation_slot handler_slot() { return handler_signal_.slot(); }

  /// The connection's socket, from its first request until detach(); the watch never outlives
  /// the socket's use.
  void attach(boost::asio::ip::tcp::socket& socket) { socket_ = &socket; }
  void detach();

  /// A handler is about to run. Watching starts only if it suspends: a handler that answers at
  /// once (/health) costs one post and no system call.
  void arm_lazily();
  /// A response is streaming: watch from now on.
  void arm_now();
  /// The handler (or the stream) has finished: stop watching.
  void disarm();

  /// True once the client has left; the connection then writes nothing and closes.
  bool is_client_gone() const { return is_client_gone_; }

  /// Cancels the handler's awaits while the client stays (Request::cancel_handler: a deadline).
  void cancel_handler() { handler_signal_.emit(boost::asio::cancellation_type::terminal); }

 private:
  void start();
  void on_peek(const boost::system::error_code& ec, std::size_t bytes);

  boost::asio::io_context& io_;
  boost::asio::ip::tcp::socket* socket_ = nullptr;
  boost::asio::cancellation_signal handler_signal_;  // cancels the connection coroutine's awaits
  boost::asio::cancellation_signal peek_signal_;     // cancels the pending peek only
  std::uint64_t generation_ = 0;  // counts requests watched: a late post for an old one does nothing
  std::uint64_t peek_generation_ = 0;  // the request the pending peek was started for
  bool is_armed_ = false;
  bool is_peeking_ = false;  // a peek is pending (its completion has not run yet)
  bool is_client_gone_ = false;
  bool is_tls_;
  unsigned char peeked_ = 0;
};

}  // namespace sluice::http::detail
