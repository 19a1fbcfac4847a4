#include "connection.hpp"

#include "disconnect_watch.hpp"
#include "response_writer.hpp"
#include "spooled_body.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/read.hpp>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <array>
#include <random>
#include <charconv>
#include <optional>
#include <tuple>

namespace sluice::http::detail {

namespace asio = boost::asio;
namespace beast = boost::beast;
using asio::ip::tcp;
using boost::system::error_code;

namespace {

constexpr auto use_tuple() { return asio::as_tuple(asio::use_awaitable); }

/// The response a protocol failure deserves; nullopt when the peer simply went away or
/// stalled (slowloris), where the only right move is to close.
std::optional<core::Error> protocol_error(const error_code& ec) {
  if (ec == beast_http::error::header_limit)
    return core::Error{431, "request_header_fields_too_large", "Request header fields too large", nullptr};
  if (ec == beast_http::error::body_limit)
    return core::Error{413, "payload_too_large", "Request body too large", nullptr};
  // Spooling a large body to the data directory's disk failed for want of space.
  if (ec == boost::system::errc::no_space_on_device || ec == boost::system::errc::file_too_large)
    return core::Error{507, "insufficient_storage",
                       "The server's disk is full: the request body could not be stored, and nothing of it was kept",
                       nullptr};
  if (ec == beast_http::error::end_of_stream || ec == beast_http::error::partial_message) return std::nullopt;
  if (ec.category() == beast_http::make_error_code(beast_http::error::bad_method).category())
    return core::bad_request("Malformed HTTP request: " + ec.message());
  return std::nullopt;  // reset, or cancelled by a deadline or by shutdown
}

/// Answers a request we refuse to read further, then closes without a reset: the client must
/// see the response even though its unread body may still be arriving.
template <class Stream>
asio::awaitable<void> refuse(Stream& stream, Connection& self, const core::Error& error) {
  auto response = Response::error(error);
  auto& message = response.message();
  message.keep_alive(false);
  ResponseWriter writer;
  self.deadline = Clock::now() + std::chrono::seconds(5);
  auto [ec, n] = co_await asio::async_write(stream, writer.buffers(response), use_tuple());
  if (ec) co_return;
  error_code ignored;
  self.socket->shutdown(tcp::socket::shutdown_send, ignored);
  // Lingering close: discard at most 1 MiB for at most 1 s, so the body is never read whole.
  std::array<char, 16 * 1024> sink;
  std::size_t drained = 0;
  self.deadline = Clock::now() + std::chrono::seconds(1);
  while (drained < 1024 * 1024) {
    auto [read_ec, read] = co_await stream.async_read_some(asio::buffer(sink), use_tuple());
    if (read_ec) break;
    drained += read;
  }
}

/// The client's X-Request-ID when it is sane (1–128 visible ASCII characters), else a new one.
std::string request_id_for(const Request& request) {
  if (auto sent = request.header("X-Request-ID"); sent && !sent->empty() && sent->size() <= 128 &&
                                                  std::all_of(sent->begin(), sent->end(), [](unsigned char c) {
                                                    return c > 32 && c < 127;
                                                  }))
    return std::string(*sent);
  // A random per-thread prefix (28 bits) and a per-thread counter (32 bits): unique without a
  // random draw per request. 15 hex digits fit std::string's inline buffer: no allocation.
  thread_local const std::uint64_t prefix = std::random_device{}() & 0xFFFFFFFu;
  thread_local std::uint32_t counter = 0;
  std::uint64_t bits = (prefix << 32) | ++counter;
  static constexpr char hex[] = "0123456789abcdef";
  std::string id(15, '0');
  for (std::size_t i = 0; i < 15; ++i) id[14 - i] = hex[(bits >> (i * 4)) & 0xF];
  return id;
}

core::Error client_gone() { return {499, "client_closed_request", "The client closed the connection", nullptr}; }

bool expects_continue(const RawRequest& request) {
  auto it = request.find(Field::expect);
  return it != request.end() && beast::iequals(it->value(), "100-continue");
}

/// A body past ServerOptions::spool_above, or of unknown length (chunked): read into a file.
bool is_large(const beast_http::request_parser<beast_http::string_body>& parser, const ServerOptions& options) {
  auto length = parser.content_length();
  return !length || *length > options.spool_above;
}

/// Reads the rest of the request into a temporary file (the parser has read the header only)
/// and maps it; the message it gives back has the header and an empty body.
template <class Stream>
asio::awaitable<std::tuple<error_code, RawRequest, std::shared_ptr<const MappedBody>>> read_spooled(
    Stream& socket, beast::flat_buffer& buffer, beast_http::request_parser<beast_http::string_body>& header_parser,
    const ServerOptions& options) {
  beast_http::request_parser<spool_body> parser(std::move(header_parser));
  parser.get().body().directory = options.spool_dir;
  auto [ec, n] = co_await beast_http::async_read(socket, buffer, parser, use_tuple());
  std::shared_ptr<const MappedBody> body;
  if (!ec) body = MappedBody::map(parser.get().body().release(), parser.get().body().size, ec);
  co_return std::tuple{ec, RawRequest(std::move(parser.get().base())), std::move(body)};
}

/// Routes one parsed request and runs it through the middleware chain into `response` (an
/// out-parameter: every coroutine layer that returns a Response moves it once more); `scope`
/// outlives the response write. `raw` is the caller's, awaited at once: taken by reference to
/// save a move of the message.
asio::awaitable<void> respond(RawRequest&& raw, std::shared_ptr<const MappedBody> spooled,
                              const asio::ip::address& client, std::string_view client_text, di::Scope& scope,
                              ServerState& state, DisconnectWatch& watch, std::string& request_id,
                              Response& response) {
  auto [path, query] = split_target(raw.target());
  if (path.empty() || path.front() != '/') {
    response = Response::error(core::bad_request("Invalid request target"));
    co_return;
  }
  auto match = state.router.match(raw.method(), path);
  if (!match.handler && raw.method() == Verb::head) {  // HEAD is GET without the body (RFC 9110)
    if (auto get = state.router.match(Verb::get, path); get.handler) match = std::move(get);
  }
  Request request(std::move(raw), std::move(match.params), client, scope, state.compute, client_text);
  if (spooled) request.set_body(spooled->view(), spooled);
  request.set_route(match.pattern, match.handler, std::move(match.allow));
  request.set_handler_canceller([](void* watch) { static_cast<DisconnectWatch*>(watch)->cancel_handler(); }, &watch);
  if (state.options.request_ids) request.set_request_id(request_id_for(request));
  const auto start = Clock::now();
  for (const auto& observer : state.observers)
    if (observer.on_request) observer.on_request(request);
  bool has_failed = false;
  try {
    // Without middleware, dispatch directly: one coroutine frame and one indirection fewer.
    if (state.has_middleware) response = co_await state.pipeline(request);
    else response = co_await dispatch_route(request);
  } catch (const std::exception& e) {
    if (!watch.is_client_gone())
      spdlog::error("{} {}: middleware failed: {}", std::string_view(beast_http::to_string(request.method())),
                    request.target(), e.what());
    has_failed = true;
  }
  // Whatever a cancelled handler returned, the request ended because its client left (499, as
  // nginx logs it); the response is not sent.
  if (watch.is_client_gone()) response = Response::error(client_gone());
  else if (has_failed) response = Response::error(core::internal_error());
  request.leave_guards(response);
  if (!state.observers.empty()) {
    const auto elapsed = Clock::now() - start;
    for (const auto& observer : state.observers)
      if (observer.on_response) observer.on_response(request, response, elapsed);
  }
  request_id = request.take_request_id();  // the writer adds the header: no field allocation
}

/// Writes a streamed body as HTTP/1.1 chunks (or raw bytes for HTTP/1.0). Each write has the
/// write deadline; between writes the producer may wait as long as it likes.
template <class Stream>
class ChunkedWriter final : public StreamWriter {
 public:
  ChunkedWriter(Stream& socket, Connection& self, const Worker& worker, bool is_chunked,
                std::chrono::milliseconds timeout)
      : socket_(socket), self_(self), worker_(worker), is_chunked_(is_chunked), timeout_(timeout) {}

  asio::awaitable<bool> write(std::string_view data) override {
    if (has_failed_) co_return false;
    if (data.empty()) co_return true;
    char size_line[24];
    auto [end, ec] = std::to_chars(size_line, size_line + 16, data.size(), 16);
    *end++ = '\r';
    *end++ = '\n';
    std::array<asio::const_buffer, 3> chunk{asio::buffer(size_line, static_cast<std::size_t>(end - size_line)),
                                            asio::buffer(data), asio::buffer("\r\n", 2)};
    self_.deadline = Clock::now() + timeout_;
    error_code write_ec;
    if (is_chunked_)
      std::tie(write_ec, std::ignore) = co_await asio::async_write(socket_, chunk, use_tuple());
    else
      std::tie(write_ec, std::ignore) = co_await asio::async_write(socket_, asio::buffer(data), use_tuple());
    self_.deadline = Clock::time_point::max();
    has_failed_ = static_cast<bool>(write_ec);
    co_return !has_failed_;
  }

  bool is_closing() const override { return worker_.is_closing; }

  /// Ends the body; true when the connection may carry another request.
  asio::awaitable<bool> finish() {
    if (has_failed_) co_return false;
    if (!is_chunked_) co_return false;
    self_.deadline = Clock::now() + timeout_;
    auto [ec, n] = co_await asio::async_write(socket_, asio::buffer("0\r\n\r\n", 5), use_tuple());
    co_return !ec;
  }
  void fail() { has_failed_ = true; }

 private:
  Stream& socket_;
  Connection& self_;
  const Worker& worker_;
  bool is_chunked_;
  std::chrono::milliseconds timeout_;
  bool has_failed_ = false;
};

/// Sends a streaming response; true when the connection may be kept alive.
template <class Stream>
asio::awaitable<bool> send_stream(Stream& socket, Connection& self, const Worker& worker, Response& response,
                                  ResponseWriter& writer, std::chrono::milliseconds timeout,
                                  const std::string& request_id, DisconnectWatch& watch) {
  auto& message = response.message();
  self.deadline = Clock::now() + timeout;
  auto [ec, n] = co_await asio::async_write(socket, writer.stream_head(response, request_id), use_tuple());
  if (ec) co_return false;
  ChunkedWriter<Stream> body(socket, self, worker, message.version() == 11, timeout);
  // A producer waiting for its next piece (tokens, an upstream stream) is cancelled when the
  // client leaves, not only at its next write.
  watch.arm_now();
  try {
    co_await response.producer()(body);
  } catch (const std::exception& e) {
    // The head is gone: the only honest signal left is to cut the stream short.
    if (!watch.is_client_gone()) spdlog::error("streaming response failed: {}", e.what());
    body.fail();
  }
  watch.disarm();
  if (watch.is_client_gone()) co_return false;  // every further await would throw: close now
  bool is_reusable = co_await body.finish();
  co_return is_reusable && message.keep_alive();
}

}  // namespace

asio::awaitable<Response> dispatch_route(Request& request) {
  const Handler* handler = request.handler();
  if (!handler) {
    if (request.allowed_methods().empty()) co_return Response::error(core::not_found("Not Found"));
    auto response = Response::error({405, "method_not_allowed", "Method Not Allowed", nullptr});
    response.set_header(Field::allow, request.allowed_methods());
    co_return response;
  }
  std::string failure;
  std::optional<Response> refusal;
  try {
    co_return co_await (*handler)(request);
  } catch (const core::Failure& e) {
    // Expected on a bad day (database down, disk full): answered with its own status.
    spdlog::warn("{} {}: {}", std::string_view(beast_http::to_string(request.method())), request.target(), e.what());
    refusal = Response::error(e.error());
    if (e.retry_after_s() > 0) refusal->set_header(Field::retry_after, std::to_string(e.retry_after_s()));
  } catch (const std::exception& e) {
    failure = e.what();
  } catch (...) {
    failure = "a non-standard exception";
  }
  if (refusal) co_return std::move(*refusal);
  // A handler cancelled because its client left throws operation_aborted from its next await:
  // expected, not a bug. (Only this_coro queries may be awaited here: any other await of a
  // cancelled coroutine throws.)
  if ((co_await asio::this_coro::cancellation_state).cancelled() != asio::cancellation_type::none)
    co_return Response::error(client_gone());
  spdlog::error("{} {}: handler failed: {}", std::string_view(beast_http::to_string(request.method())),
                request.target(), failure);
  co_return Response::error(core::internal_error());
}

Handler build_pipeline(std::vector<Middleware> middleware) {
  Handler next = dispatch_route;
  for (auto it = middleware.rbegin(); it != middleware.rend(); ++it)
    next = [layer = std::move(*it), inner = std::move(next)](Request& request) { return layer(request, inner); };
  return next;
}

void close_idle_connections(Worker& worker) {
  worker.is_closing = true;
  for (Connection* connection : worker.connections)
    if (!connection->is_busy) connection->socket->cancel();
}

asio::awaitable<void> sweep_deadlines(Worker& worker, std::chrono::milliseconds tick) {
  asio::steady_timer timer(worker.io);
  for (;;) {
    timer.expires_after(tick);
    auto [ec] = co_await timer.async_wait(use_tuple());
    if (ec) co_return;
    const auto now = Clock::now();
    for (Connection* connection : worker.connections) {
      if (connection->deadline > now) continue;
      connection->has_timed_out = true;
      connection->deadline = Clock::time_point::max();
      connection->socket->cancel();
    }
  }
}

namespace {

using TlsStream = asio::ssl::stream<tcp::socket>;
template <class Stream>
constexpr bool is_tls = std::is_same_v<Stream, TlsStream>;

/// One session over a plain or a TLS stream, the same code for both (Beast's
/// run_session(Stream&)); `socket` is the TCP socket underneath, for deadlines and shutdown.
template <class Stream>
asio::awaitable<void> run_session(Stream& socket, tcp::socket& tcp_socket, Worker& worker, ServerState& state,
                                  const std::shared_ptr<DisconnectWatch>& watch) {
  const ServerOptions& options = state.options;
  error_code ignored;
  tcp_socket.set_option(tcp::no_delay(true), ignored);
  const auto client = tcp_socket.remote_endpoint(ignored).address();
  const std::string client_text = address_text(client);  // once per connection, not per request

  Connection self{&tcp_socket};
  auto position = worker.connections.insert(worker.connections.end(), &self);
  struct Unregister {
    Worker& worker;
    std::list<Connection*>::iterator position;
    std::atomic<std::size_t>& live;
    ~Unregister() {
      worker.connections.erase(position);
      --live;
    }
  } unregister{worker, position, state.stats->open_connections};
  watch->attach(tcp_socket);
  struct Detach {
    DisconnectWatch& watch;
    ~Detach() { watch.detach(); }
  } detach{*watch};

  if constexpr (is_tls<Stream>) {
    self.deadline = Clock::now() + options.read_timeout;  // a handshake is part of the first request
    auto [ec] = co_await socket.async_handshake(asio::ssl::stream_base::server, use_tuple());
    if (ec) {
      spdlog::debug("TLS handshake with {} failed: {}", client_text, ec.message());
      co_return;
    }
  }
  beast::flat_buffer buffer;
  ResponseWriter writer;
  while (!worker.is_closing) {
    self.is_busy = false;
    beast_http::request_parser<beast_http::string_body> parser;
    std::optional<RawRequest> spooled_head;  // a spooled request's message: its header, no body
    std::shared_ptr<const MappedBody> spooled;
    parser.header_limit(static_cast<std::uint32_t>(options.header_limit));
    parser.body_limit(options.body_limit);
    // One deadline for the whole request, set once: a client trickling bytes cannot extend it.
    self.deadline = Clock::now() + options.read_timeout;
    const bool has_body_rules = state.router.has_body_rules();
    if (has_body_rules) parser.body_limit(boost::none);  // the route decides, below
    auto [ec, n] = co_await beast_http::async_read_header(socket, buffer, parser, use_tuple());
    BodyRules body_rules;
    // Only a body that some route could read differently asks its route: one of unknown length,
    // or longer than every route's limit, the server's and the spooling threshold allow alike.
    const auto length = parser.content_length();
    const auto read_alike = std::min({options.body_limit, options.spool_above, state.router.smallest_body_limit()});
    if (!ec && has_body_rules && !parser.is_done() && (!length || *length > read_alike)) {
      auto target = parser.get().target();
      body_rules = state.router.body_rules(parser.get().method(), target.substr(0, target.find('?')));
      auto limit = body_rules.limit ? body_rules.limit : options.body_limit;
      if (length && *length > limit) ec = beast_http::error::body_limit;
      else parser.body_limit(limit);  // a chunked body is counted against it as it arrives
    } else if (!ec && has_body_rules) {
      parser.body_limit(options.body_limit);
    }
    if (!ec) {
      self.is_busy = true;
      if (!parser.is_done() && expects_continue(parser.get())) {
        static constexpr std::string_view kContinue = "HTTP/1.1 100 Continue\r\n\r\n";
        std::tie(ec, n) = co_await asio::async_write(socket, asio::buffer(kContinue), use_tuple());
      }
      if (!ec && !parser.is_done() && body_rules.may_spool && is_large(parser, options)) {
        auto read = co_await read_spooled(socket, buffer, parser, options);
        ec = std::get<0>(read);
        spooled_head.emplace(std::move(std::get<1>(read)));
        spooled = std::move(std::get<2>(read));
      } else if (!ec && !parser.is_done()) {
        std::tie(ec, n) = co_await beast_http::async_read(socket, buffer, parser, use_tuple());
      }
    }
    if (ec) {
      if (self.has_timed_out) break;  // slowloris or idle keep-alive: close without a word
      if (auto error = protocol_error(ec)) {
        if (error->status >= 500) spdlog::warn("refused a request: {} ({})", error->message, ec.message());
        co_await refuse(socket, self, *error);
      }
      break;
    }

    self.deadline = Clock::time_point::max();  // the handler's own awaits carry their deadlines
    const RawRequest& head = spooled_head ? *spooled_head : parser.get();
    const bool wants_keep_alive = head.keep_alive();
    const unsigned version = head.version();
    const bool is_head = head.method() == Verb::head;
    di::Scope scope(state.container);  // per-request dependencies; cleanups run after the write
    std::string request_id;
    Response response;
    watch->arm_lazily();
    // Built before the co_await: GCC 12 miscompiles a conditional's temporary inside one.
    RawRequest request_message = spooled_head ? std::move(*spooled_head) : parser.release();
    co_await respond(std::move(request_message), std::move(spooled), client, client_text, scope, state, *watch,
                     request_id, response);
    watch->disarm();
    if (watch->is_client_gone()) break;  // nobody to answer; every further await would throw
    auto& message = response.message();
    const bool handler_allows_keep_alive = message.keep_alive();  // false if it set "Connection: close"
    message.version(version);
    message.keep_alive(wants_keep_alive && handler_allows_keep_alive && !worker.is_closing);
    if (response.is_streaming() && !is_head) {
      if (!co_await send_stream(socket, self, worker, response, writer, options.write_timeout, request_id, *watch))
        break;
      continue;
    }
    self.deadline = Clock::now() + options.write_timeout;
    auto [write_ec, written] =
        co_await asio::async_write(socket, writer.buffers(response, !is_head, request_id), use_tuple());
    if (write_ec || !message.keep_alive()) break;
  }
  if constexpr (is_tls<Stream>) {
    // Send our close_notify without waiting for the client's (marking it received makes
    // SSL_shutdown finish at once): HTTP/1.1 framing already tells a complete response from a
    // cut one, and waiting would hold the connection for clients that never answer.
    if (!self.has_timed_out && !watch->is_client_gone()) {
      SSL_set_shutdown(socket.native_handle(), SSL_RECEIVED_SHUTDOWN);
      self.deadline = Clock::now() + options.write_timeout;
      co_await socket.async_shutdown(use_tuple());
    }
  }
  tcp_socket.shutdown(tcp::socket::shutdown_send, ignored);
}

}  // namespace

asio::awaitable<void> serve_connection(tcp::socket socket, Worker& worker, ServerState& state,
                                       std::shared_ptr<DisconnectWatch> watch) {
  if (!state.tls) {
    co_await run_session(socket, socket, worker, state, watch);
    co_return;
  }
  TlsStream stream(std::move(socket), *state.tls);
  co_await run_session(stream, stream.next_layer(), worker, state, watch);
}

}  // namespace sluice::http::detail
