#include "sluice/client/http_client.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/execution/context_as.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/query.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/buffer_body.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/url/encode.hpp>
#include <boost/url/parse.hpp>
#include <boost/url/rfc/unreserved_chars.hpp>
#include <boost/url/url.hpp>
#include <fmt/format.h>

#include <array>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <unordered_map>
#include <vector>

namespace sluice::client {

namespace asio = boost::asio;
namespace beast = boost::beast;
using asio::ip::tcp;
using boost::system::error_code;
using Clock = std::chrono::steady_clock;
namespace beast_http = boost::beast::http;

namespace {

constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);

core::Error failure(const error_code& ec, std::string_view host, std::uint16_t port) {
  if (ec == beast::error::timeout || ec == asio::error::timed_out)
    return {504, "upstream_timeout", fmt::format("upstream {}:{} did not answer in time", host, port), nullptr};
  if (ec == asio::error::connection_refused || ec == asio::error::host_not_found ||
      ec == asio::error::host_not_found_try_again || ec == asio::error::network_unreachable ||
      ec == asio::error::host_unreachable)
    return {502, "upstream_unavailable", fmt::format("upstream {}:{} unavailable: {}", host, port, ec.message()),
            nullptr};
  return {502, "upstream_error", fmt::format("upstream {}:{} failed: {}", host, port, ec.message()), nullptr};
}

/// A reused keep-alive connection may have been closed by the server while idle; such a
/// failure says nothing about the upstream and an idempotent request may be sent again.
bool is_stale_connection(const error_code& ec) {
  return ec == beast_http::error::end_of_stream || ec == asio::error::connection_reset ||
         ec == asio::error::broken_pipe || ec == asio::error::eof || ec == beast_http::error::partial_message;
}

bool is_idempotent(http::Verb method) {
  return method == http::Verb::get || method == http::Verb::head || method == http::Verb::put ||
         method == http::Verb::delete_ || method == http::Verb::options;
}

}  // namespace

struct detail::Target {
  std::string host;
  std::uint16_t port = 80;
  std::string resource;  // path + query
  bool is_tls = false;
};

namespace {

using detail::Target;

core::Result<Target> parse_target(std::string_view url) {
  auto parsed = boost::urls::parse_uri(url);
  const bool is_http = parsed && parsed->scheme_id() == boost::urls::scheme::http;
  const bool is_https = parsed && parsed->scheme_id() == boost::urls::scheme::https;
  if (!(is_http || is_https) || parsed->host().empty())
    return core::Error{502, "upstream_invalid_url", fmt::format("not an http:// or https:// URL: {}", url), nullptr};
  Target target;
  target.host = parsed->host_address();
  target.is_tls = is_https;
  target.port = is_https ? 443 : 80;
  if (parsed->has_port()) target.port = parsed->port_number();
  target.resource = parsed->encoded_target();
  if (target.resource.empty()) target.resource = "/";
  return target;
}

}  // namespace

namespace {

/// Idle keep-alive connections as Asio sockets, kept per event loop (execution context) and left
/// registered with it: taking one back on that loop costs no system call, where adopting a bare
/// descriptor cost two epoll_ctl and an ioctl (~6 µs on the benchmark machine, a sixteenth of a
/// pooled /generate). A socket must not outlive its loop's reactor, so each loop gets a
/// LoopWatch service that empties the pool's share of that loop when the loop is destroyed.
class IdleSockets {
 public:
  std::optional<tcp::socket> take(asio::execution_context& loop, const std::string& key) {
    std::lock_guard lock(mutex_);
    auto per_loop = idle_.find(&loop);
    if (per_loop == idle_.end()) return std::nullopt;
    auto it = per_loop->second.find(key);
    if (it == per_loop->second.end() || it->second.empty()) return std::nullopt;
    std::optional<tcp::socket> socket(std::move(it->second.back()));
    it->second.pop_back();
    return socket;
  }
  /// False when the loop already keeps `max_idle` connections to `key` (the caller closes it).
  bool give_back(asio::execution_context& loop, const std::string& key, tcp::socket&& socket,
                 std::size_t max_idle, const std::shared_ptr<IdleSockets>& self);
  /// The loop is going: close its connections while its reactor still exists.
  void forget(asio::execution_context* loop) {
    std::lock_guard lock(mutex_);
    idle_.erase(loop);
  }
  void close_all() {
    std::lock_guard lock(mutex_);
    idle_.clear();
  }
  std::size_t size() const {
    std::lock_guard lock(mutex_);
    std::size_t total = 0;
    for (const auto& [loop, by_key] : idle_)
      for (const auto& [key, list] : by_key) total += list.size();
    return total;
  }

 private:
  mutable std::mutex mutex_;  // guards idle_: calls finish on every IO thread
  std::unordered_map<asio::execution_context*, std::unordered_map<std::string, std::vector<tcp::socket>>> idle_;
};

/// Lives in an event loop once a pool keeps a socket of that loop; when the loop shuts down
/// (services go newest first, so before the reactor its sockets use), those sockets close.
class LoopWatch final : public asio::execution_context::service {
 public:
  static inline asio::execution_context::id id;
  explicit LoopWatch(asio::execution_context& loop) : service(loop), loop_(&loop) {}
  void watch(std::weak_ptr<IdleSockets> pool) {
    std::lock_guard lock(mutex_);
    pools_.push_back(std::move(pool));
  }

 private:
  void shutdown() override {
    std::vector<std::weak_ptr<IdleSockets>> pools;
    {
      std::lock_guard lock(mutex_);
      pools.swap(pools_);
    }
    for (auto& weak : pools)
      if (auto pool = weak.lock()) pool->forget(loop_);
  }
  asio::execution_context* loop_;
  std::mutex mutex_;  // guards pools_
  std::vector<std::weak_ptr<IdleSockets>> pools_;
};

bool IdleSockets::give_back(asio::execution_context& loop, const std::string& key, tcp::socket&& socket,
                            std::size_t max_idle, const std::shared_ptr<IdleSockets>& self) {
  bool is_new_loop = false;
  {
    std::lock_guard lock(mutex_);
    auto per_loop = idle_.find(&loop);
    if (per_loop == idle_.end()) {
      per_loop = idle_.emplace(&loop, std::unordered_map<std::string, std::vector<tcp::socket>>{}).first;
      is_new_loop = true;
    }
    auto& list = per_loop->second[key];
    if (list.size() >= max_idle) return false;
    list.push_back(std::move(socket));
  }
  if (is_new_loop) asio::use_service<LoopWatch>(loop).watch(self);
  return true;
}

}  // namespace

/// Where the URLs already parsed point, by their "scheme://authority" prefix. A client calls
/// the same few hosts, and the authority (an IPv4 address is a grammar of its own) was most of
/// parsing's cost; a known prefix leaves only the path and query to check (origin-form).
class KnownOrigins {
 public:
  core::Result<Target> parse(std::string_view url) {
    const auto scheme_end = url.find("://");
    const auto authority_end =
        scheme_end == std::string_view::npos ? std::string_view::npos : url.find_first_of("/?#", scheme_end + 3);
    const auto prefix = url.substr(0, authority_end);
    const auto rest = authority_end == std::string_view::npos ? std::string_view() : url.substr(authority_end);
    const bool is_simple = scheme_end != std::string_view::npos && (rest.empty() || rest.front() == '/') &&
                           rest.find('#') == std::string_view::npos;
    if (is_simple) {
      std::lock_guard lock(mutex_);
      if (auto it = known_.find(prefix); it != known_.end()) {
        if (!rest.empty() && !boost::urls::parse_origin_form(rest)) return parse_target(url);  // its error
        Target target = it->second;
        target.resource = rest.empty() ? std::string("/") : std::string(rest);
        return target;
      }
    }
    auto target = parse_target(url);
    if (target && is_simple) {
      std::lock_guard lock(mutex_);
      if (known_.size() < kMaxOrigins) {
        Target origin = *target;
        origin.resource.clear();
        known_.emplace(std::string(prefix), std::move(origin));
      }
    }
    return target;
  }

 private:
  struct Hash {  // looks a string_view up without making a string
    using is_transparent = void;
    std::size_t operator()(std::string_view text) const { return std::hash<std::string_view>{}(text); }
  };
  static constexpr std::size_t kMaxOrigins = 64;  // past it, new hosts are parsed whole every time
  std::mutex mutex_;  // guards known_: calls start on every IO thread
  std::unordered_map<std::string, Target, Hash, std::equal_to<>> known_;
};

struct HttpClient::Pool {
  std::shared_ptr<IdleSockets> sockets = std::make_shared<IdleSockets>();
  KnownOrigins origins;
  ~Pool() { sockets->close_all(); }
};

bool is_supported_url(std::string_view url) { return static_cast<bool>(parse_target(url)); }

std::string with_query(std::string_view url, std::string_view key, std::string_view value) {
  if (url.find_first_of("?#") == std::string_view::npos) {
    // No query yet (a context API's URL): append the pair, percent-encoded, without parsing
    // the URL, which cost more than the rest of a pooled call's set-up.
    std::string out(url);
    out += '?';
    out += boost::urls::encode(key, boost::urls::unreserved_chars);
    out += '=';
    out += boost::urls::encode(value, boost::urls::unreserved_chars);
    return out;
  }
  boost::urls::url parsed(url);
  parsed.params().set(key, value);
  return std::string(parsed.buffer());
}

/// What every https call shares: TLS 1.2 or later, peer verification against the system's CA
/// store plus `ca_file`. Hostnames are checked per connection (open_tls).
struct HttpClient::Tls {
  explicit Tls(const std::string& ca_file) : context(asio::ssl::context::tls_client) {
    context.set_options(asio::ssl::context::default_workarounds | asio::ssl::context::no_sslv2 |
                        asio::ssl::context::no_sslv3 | asio::ssl::context::no_tlsv1 |
                        asio::ssl::context::no_tlsv1_1);
    context.set_verify_mode(asio::ssl::verify_peer);
    error_code ec;
    context.set_default_verify_paths(ec);  // a machine without a CA store can still use ca_file
    if (!ca_file.empty()) {
      context.load_verify_file(ca_file, ec);
      if (ec) throw std::runtime_error(fmt::format("cannot use CA file '{}': {}", ca_file, ec.message()));
    }
  }
  asio::ssl::context context;
};

HttpClient::HttpClient(ClientOptions options)
    : options_(std::move(options)), pool_(std::make_unique<Pool>()), tls_(std::make_unique<Tls>(options_.ca_file)) {}
HttpClient::~HttpClient() = default;

std::size_t HttpClient::idle_connections() const { return pool_->sockets->size(); }

void HttpClient::close_idle() { pool_->sockets->close_all(); }

std::shared_ptr<HttpClient> HttpClient::install(di::Container& container, ClientOptions options) {
  auto client = std::make_shared<HttpClient>(std::move(options));
  container.add_singleton<HttpClient>(client);
  container.on_shutdown([client] { client->close_idle(); });
  return client;
}

namespace {

asio::awaitable<error_code> connect(beast::tcp_stream& stream, const Target& target, Clock::time_point deadline) {
  error_code ec;
  auto address = asio::ip::make_address(target.host, ec);
  stream.expires_at(deadline);
  if (!ec) {
    auto [connect_ec] = co_await stream.async_connect(tcp::endpoint(address, target.port), use_tuple);
    co_return connect_ec;
  }
  // Name lookup runs on Asio's resolver thread; race it against the deadline.
  using namespace asio::experimental::awaitable_operators;
  tcp::resolver resolver(stream.get_executor());
  asio::steady_timer timer(stream.get_executor(), deadline);
  auto outcome = co_await (resolver.async_resolve(target.host, std::to_string(target.port), use_tuple) ||
                           timer.async_wait(use_tuple));
  if (outcome.index() == 1) co_return make_error_code(beast::error::timeout);
  auto [resolve_ec, endpoints] = std::get<0>(outcome);
  if (resolve_ec) co_return resolve_ec;
  auto [connect_ec, endpoint] = co_await stream.async_connect(endpoints, use_tuple);
  co_return connect_ec;
}

using TlsStream = asio::ssl::stream<beast::tcp_stream>;

/// Connects and shakes hands: SNI and the certificate's name checked against the URL's host
/// (or IP address). A rejected certificate gets an error saying why, from OpenSSL's verdict.
asio::awaitable<std::optional<core::Error>> open_tls(TlsStream& stream, const Target& target,
                                                     Clock::time_point deadline) {
  if (auto ec = co_await connect(stream.next_layer(), target, deadline))
    co_return failure(ec, target.host, target.port);
  SSL* ssl = stream.native_handle();
  error_code not_ip;
  asio::ip::make_address(target.host, not_ip);
  if (not_ip) {
    SSL_set_tlsext_host_name(ssl, target.host.c_str());
    SSL_set1_host(ssl, target.host.c_str());
  } else {
    X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), target.host.c_str());
  }
  stream.next_layer().expires_at(deadline);
  auto [ec] = co_await stream.async_handshake(asio::ssl::stream_base::client, use_tuple);
  if (!ec) co_return std::nullopt;
  if (auto verdict = SSL_get_verify_result(ssl); verdict != X509_V_OK)
    co_return core::Error{502, "upstream_tls_error",
                          fmt::format("upstream {}:{}: TLS certificate rejected: {}", target.host, target.port,
                                      X509_verify_cert_error_string(verdict)),
                          nullptr};
  if (ec == beast::error::timeout) co_return failure(ec, target.host, target.port);
  co_return core::Error{
      502, "upstream_tls_error",
      fmt::format("upstream {}:{}: TLS handshake failed: {}", target.host, target.port, ec.message()), nullptr};
}

/// The request's head as it goes on the wire. Written here rather than by Beast's serializer,
/// whose buffer-sequence machinery cost a fifth of a pooled /generate's instructions; the body
/// follows as its own buffer (make_request set its Content-Length).
std::string request_head(const http::RawRequest& request) {
  std::string head;
  head.reserve(256);
  head += std::string_view(request.method_string());
  head += ' ';
  head += std::string_view(request.target());
  head += " HTTP/1.1\r\n";
  for (const auto& field : request) {
    head += std::string_view(field.name_string());
    head += ": ";
    head += std::string_view(field.value());
    head += "\r\n";
  }
  head += "\r\n";
  return head;
}

/// Sends `request`: its head and its body in one gathered write.
template <class Stream>
asio::awaitable<error_code> send(Stream& stream, const http::RawRequest& request) {
  const std::string head = request_head(request);
  std::array<asio::const_buffer, 2> buffers{asio::buffer(head), asio::buffer(request.body())};
  auto [ec, n] = co_await asio::async_write(stream, buffers, use_tuple);
  co_return ec;
}

struct Exchange {
  error_code ec;
  bool is_reusable = false;
  ClientResponse response;
};

template <class Stream>
asio::awaitable<Exchange> exchange(Stream& stream, http::RawRequest& request, Clock::time_point deadline,
                                   std::uint64_t max_body) {
  Exchange result;
  beast::get_lowest_layer(stream).expires_at(deadline);
  result.ec = co_await send(stream, request);
  if (result.ec) co_return result;
  beast::flat_buffer buffer;
  beast_http::response_parser<beast_http::string_body> parser;
  parser.body_limit(max_body);
  if (request.method() == http::Verb::head) parser.skip(true);
  std::tie(result.ec, std::ignore) = co_await beast_http::async_read(stream, buffer, parser, use_tuple);
  if (result.ec) co_return result;
  auto message = parser.release();
  // Leftover bytes would belong to no request of ours: such a connection is not reused.
  result.is_reusable = message.keep_alive() && buffer.size() == 0;
  result.response.status = message.result_int();
  if (auto it = message.find(http::Field::content_type); it != message.end())
    result.response.content_type = std::string(it->value());
  result.response.body = std::move(message.body());
  co_return result;
}

}  // namespace

namespace {

http::RawRequest make_request(http::Verb method, const Target& target, const ClientOptions& options, std::string body,
                              const std::string& content_type, const HttpClient::Headers& headers) {
  http::RawRequest message{method, target.resource, 11};
  const bool is_default_port = target.port == (target.is_tls ? 443 : 80);
  message.set(http::Field::host, is_default_port ? target.host : fmt::format("{}:{}", target.host, target.port));
  message.set(http::Field::user_agent, options.user_agent);
  if (!content_type.empty()) message.set(http::Field::content_type, content_type);
  for (const auto& [name, value] : headers) message.set(name, value);
  message.body() = std::move(body);
  message.keep_alive(true);
  message.prepare_payload();
  return message;
}

/// Sends `message` and hands a 2xx body to `on_chunk` as it arrives (see HttpClient::stream).
template <class Stream>
asio::awaitable<core::Result<ClientResponse>> relay(Stream& stream, http::RawRequest& message, const Target& target,
                                                    std::chrono::milliseconds step, const HttpClient::ChunkSink& on_chunk,
                                                    std::uint64_t max_error_bytes) {
  auto& socket = beast::get_lowest_layer(stream);
  socket.expires_after(step);
  auto write_ec = co_await send(stream, message);
  if (write_ec) co_return failure(write_ec, target.host, target.port);

  beast::flat_buffer buffer;
  beast_http::response_parser<beast_http::buffer_body> parser;
  parser.body_limit(boost::none);  // a stream has no natural size; the deadline per read bounds it
  auto [head_ec, head_bytes] = co_await beast_http::async_read_header(stream, buffer, parser, use_tuple);
  if (head_ec) co_return failure(head_ec, target.host, target.port);
  ClientResponse response;
  response.status = parser.get().result_int();
  if (auto it = parser.get().find(http::Field::content_type); it != parser.get().end())
    response.content_type = std::string(it->value());
  const bool is_success = response.status >= 200 && response.status < 300;

  char chunk[16 * 1024];
  while (!parser.is_done()) {
    parser.get().body().data = chunk;
    parser.get().body().size = sizeof(chunk);
    socket.expires_after(step);
    auto [ec, n] = co_await beast_http::async_read_some(stream, buffer, parser, use_tuple);
    if (ec == beast_http::error::need_buffer) ec = {};  // our chunk buffer is full: hand it on
    if (ec) co_return failure(ec, target.host, target.port);
    std::size_t size = sizeof(chunk) - parser.get().body().size;
    if (size == 0) continue;
    if (!is_success) {
      if (response.body.size() + size > max_error_bytes)
        co_return core::Error{502, "upstream_error", "upstream error body too large", nullptr};
      response.body.append(chunk, size);
    } else if (!co_await on_chunk(std::string(chunk, size))) {
      co_return response;  // the caller stopped: the connection closes with `stream`
    }
  }
  co_return response;
}

}  // namespace

asio::awaitable<core::Result<ClientResponse>> HttpClient::stream(http::Verb method, std::string url, std::string body,
                                                                  std::string content_type, ChunkSink on_chunk,
                                                                  std::optional<std::chrono::milliseconds> timeout,
                                                                  Headers headers) {
  auto target = parse_target(url);
  if (!target) co_return target.error();
  const auto step = timeout.value_or(options_.timeout);
  auto message = make_request(method, *target, options_, std::move(body), content_type, headers);
  auto executor = co_await asio::this_coro::executor;
  if (target->is_tls) {
    TlsStream stream(executor, tls_->context);
    if (auto error = co_await open_tls(stream, *target, Clock::now() + step)) co_return std::move(*error);
    co_return co_await relay(stream, message, *target, step, on_chunk, options_.max_response_bytes);
  }
  beast::tcp_stream stream(executor);
  if (auto ec = co_await connect(stream, *target, Clock::now() + step)) co_return failure(ec, target->host, target->port);
  co_return co_await relay(stream, message, *target, step, on_chunk, options_.max_response_bytes);
}

asio::awaitable<core::Result<ClientResponse>> HttpClient::get(std::string url,
                                                               std::optional<std::chrono::milliseconds> timeout,
                                                               Headers headers) {
  return request(http::Verb::get, std::move(url), {}, {}, timeout, std::move(headers));
}

asio::awaitable<core::Result<ClientResponse>> HttpClient::request(http::Verb method, std::string url,
                                                                   std::string body, std::string content_type,
                                                                   std::optional<std::chrono::milliseconds> timeout,
                                                                   Headers headers) {
  auto target = pool_->origins.parse(url);  // once per call: parsing cost as much as the rest of the set-up
  if (!options_.on_call) {
    if (!target) co_return target.error();
    co_return co_await call(method, *target, std::move(body), std::move(content_type), timeout, std::move(headers));
  }
  const auto start = Clock::now();
  std::string host = target ? fmt::format("{}:{}", target->host, target->port) : std::string("invalid");
  core::Result<ClientResponse> result = target ? core::Result<ClientResponse>(ClientResponse{}) : target.error();
  if (target) result = co_await call(method, *target, std::move(body), std::move(content_type), timeout, std::move(headers));
  options_.on_call({host, result ? result->status : 0u, result ? std::string_view{} : std::string_view(result.error().code),
                    Clock::now() - start});
  co_return result;
}

asio::awaitable<core::Result<ClientResponse>> HttpClient::call(http::Verb method, const Target& target,
                                                                std::string body, std::string content_type,
                                                                std::optional<std::chrono::milliseconds> timeout,
                                                                Headers headers) {
  const auto deadline = Clock::now() + timeout.value_or(options_.timeout);

  auto message = make_request(method, target, options_, std::move(body), content_type, headers);

  auto executor = co_await asio::this_coro::executor;
  if (target.is_tls) {
    // A fresh TLS connection per call: idle TLS sessions are not pooled (yet).
    TlsStream stream(executor, tls_->context);
    if (auto error = co_await open_tls(stream, target, deadline)) co_return std::move(*error);
    auto result = co_await exchange(stream, message, deadline, options_.max_response_bytes);
    if (result.ec) co_return failure(result.ec, target.host, target.port);
    co_return std::move(result.response);
  }
  const auto key = fmt::format("{}:{}", target.host, target.port);

  // Idle connections of this event loop first; one the server has closed meanwhile is dropped
  // and the next tried.
  auto& loop = asio::query(executor, asio::execution::context_as<asio::execution_context&>);
  auto& idle = *pool_->sockets;
  while (auto socket = idle.take(loop, key)) {
    beast::tcp_stream stream(std::move(*socket));
    auto result = co_await exchange(stream, message, deadline, options_.max_response_bytes);
    if (!result.ec) {
      if (result.is_reusable)
        idle.give_back(loop, key, stream.release_socket(), options_.max_idle_per_host, pool_->sockets);
      co_return std::move(result.response);
    }
    if (!is_stale_connection(result.ec) || !is_idempotent(method)) co_return failure(result.ec, target.host, target.port);
  }

  beast::tcp_stream stream(executor);
  if (auto ec = co_await connect(stream, target, deadline)) co_return failure(ec, target.host, target.port);
  auto result = co_await exchange(stream, message, deadline, options_.max_response_bytes);
  if (result.ec) co_return failure(result.ec, target.host, target.port);
  if (result.is_reusable) idle.give_back(loop, key, stream.release_socket(), options_.max_idle_per_host, pool_->sockets);
  co_return std::move(result.response);
}

}  // namespace sluice::client
