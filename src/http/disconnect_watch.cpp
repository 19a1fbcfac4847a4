#include "disconnect_watch.hpp"

#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/post.hpp>

namespace sluice::http::detail {

namespace asio = boost::asio;

namespace {
// The first byte of a TLS alert record (RFC 8446 §5.1, ContentType alert = 21).
constexpr unsigned char kTlsAlert = 21;
}  // namespace

void DisconnectWatch::detach() {
  is_armed_ = false;
  socket_ = nullptr;  // a pending peek is cancelled when the socket closes; its completion sees this
}

void DisconnectWatch::arm_lazily() {
  is_armed_ = true;
  // The post runs once the connection coroutine suspends: inside a handler that waits, or
  // after one that answered at once (then the request is over and nothing starts).
  asio::post(io_, [self = shared_from_this(), generation = ++generation_] {
    if (self->is_armed_ && self->generation_ == generation) self->start();
  });
}

void DisconnectWatch::arm_now() {
  is_armed_ = true;
  ++generation_;
  start();
}

void DisconnectWatch::disarm() {
  is_armed_ = false;
  // Only while the peek's completion is pending may its slot be emitted: the socket is open and
  // the reactor still knows the operation (or has already queued its completion).
  if (is_peeking_) peek_signal_.emit(asio::cancellation_type::terminal);
}

void DisconnectWatch::start() {
  if (!socket_ || is_peeking_ || is_client_gone_) return;
  is_peeking_ = true;
  peek_generation_ = generation_;
  socket_->async_receive(asio::buffer(&peeked_, 1), asio::ip::tcp::socket::message_peek,
                         asio::bind_cancellation_slot(peek_signal_.slot(),
                                                      [self = shared_from_this()](boost::system::error_code ec,
                                                                                  std::size_t bytes) {
                                                        self->on_peek(ec, bytes);
                                                      }));
}

void DisconnectWatch::on_peek(const boost::system::error_code& ec, std::size_t bytes) {
  is_peeking_ = false;
  if (!socket_) return;
  if (ec == asio::error::operation_aborted) {
    // Stopped for an earlier request (or by a write deadline); a later one may be running now.
    if (is_armed_) start();
    return;
  }
  if (!is_armed_) return;  // the handler finished meanwhile: what arrived belongs to the next read
  const bool is_hang_up = ec || bytes == 0 || (is_tls_ && peeked_ == kTlsAlert);
  if (!is_hang_up) {
    // A pipelined request: the client is alive. Seen while an earlier request ran, the parser may
    // have consumed it since: look again for this one.
    if (peek_generation_ != generation_) start();
    return;
  }
  is_client_gone_ = true;
  handler_signal_.emit(asio::cancellation_type::terminal);
}

}  // namespace sluice::http::detail
