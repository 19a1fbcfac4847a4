#pragma once
// Async HTTP/1.1 client (http and https) with pooled keep-alive connections and a deadline on
// every call.

#include "sluice/core/error.hpp"
#include "sluice/di/container.hpp"
#include "sluice/http/message.hpp"

#include <boost/asio/awaitable.hpp>

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace sluice::client {

namespace detail {
struct Target;  // where a URL points: host, port, resource (parsed once per call)
}  // namespace detail

/// One finished upstream call, for metrics.
struct CallRecord {
  std::string_view host;        // "host:port"
  unsigned status;              // 0 when the call failed
  std::string_view error_code;  // "upstream_timeout", ...; empty on success
  std::chrono::nanoseconds elapsed;
};

struct ClientOptions {
  std::chrono::milliseconds timeout{5'000};        // whole call: resolve, connect, send, receive
  std::size_t max_idle_per_host = 256;             // idle keep-alive connections per host and event loop
  std::uint64_t max_response_bytes = 16 * 1024 * 1024;
  std::string user_agent = "sluice";
  /// https: a PEM file of extra CA certificates to trust besides the system's store (a private
  /// CA). Certificates and host names are always verified. Unreadable → the constructor throws.
  std::string ca_file;
  /// Called after every call, on the calling IO thread (keep it cheap).
  std::function<void(const CallRecord&)> on_call;
};

struct ClientResponse {
  unsigned status = 0;
  std::string body;
  std::string content_type;
};

/// `url` with `key=value` set in its query string, percent-encoded:
/// with_query("http://h/context", "query", "a b") → "http://h/context?query=a%20b".
/// (No initializer-list form: GCC 12 rejects braced lists inside coroutines.)
std::string with_query(std::string_view url, std::string_view key, std::string_view value);

/// Whether HttpClient can call `url` (http:// or https:// with a host): for checking
/// configured URLs at start-up rather than failing every request later.
bool is_supported_url(std::string_view url);

/// Calls other HTTP services from handlers without blocking the IO thread. Keep-alive
/// connections are pooled per event loop, host and port (`max_idle_per_host` each), and stay
/// registered with their loop: reusing one costs no system call.
/// Failures are values: `upstream_unavailable` (502) when the host cannot be reached,
/// `upstream_timeout` (504) past the deadline, `upstream_tls_error` (502) when the TLS handshake
/// fails (the message says why: unknown CA, host name mismatch, ...), `upstream_error` (502)
/// otherwise. https connections are not pooled: each call makes a new one.
class HttpClient {
 public:
  explicit HttpClient(ClientOptions options = {});
  ~HttpClient();

  /// Extra request headers, e.g. {{"X-Request-ID", id}} to carry a request id upstream.
  using Headers = std::vector<std::pair<std::string, std::string>>;

  boost::asio::awaitable<core::Result<ClientResponse>> get(
      std::string url, std::optional<std::chrono::milliseconds> timeout = std::nullopt, Headers headers = {});
  // Coroutine parameters are taken by value: the call may outlive the caller's temporaries.
  boost::asio::awaitable<core::Result<ClientResponse>> request(
      http::Verb method, std::string url, std::string body = {}, std::string content_type = {},
      std::optional<std::chrono::milliseconds> timeout = std::nullopt, Headers headers = {});

  /// Receives a streamed response body piece by piece as it arrives; returns false to stop
  /// reading (the connection is then closed).
  using ChunkSink = std::function<boost::asio::awaitable<bool>(std::string chunk)>;
  /// Like request(), but a 2xx body goes to `on_chunk` as it arrives (Server-Sent Events,
  /// chunked encoding) instead of into the response; any other status's body is collected into
  /// `body` as usual. `timeout` bounds connecting and the head, then each wait for more body:
  /// a stream may run long as long as it keeps moving. Always a fresh connection: a request
  /// that streams is usually not idempotent, so a stale pooled one could not be retried.
  boost::asio::awaitable<core::Result<ClientResponse>> stream(
      http::Verb method, std::string url, std::string body, std::string content_type, ChunkSink on_chunk,
      std::optional<std::chrono::milliseconds> timeout = std::nullopt, Headers headers = {});

  /// Idle pooled connections, all hosts and threads together.
  std::size_t idle_connections() const;
  /// Closes every idle connection.
  void close_idle();

  /// Registers a shared HttpClient in `container`, closed by a shutdown hook.
  static std::shared_ptr<HttpClient> install(di::Container& container, ClientOptions options = {});

 private:
  // `target` is the caller's, awaited at once.
  boost::asio::awaitable<core::Result<ClientResponse>> call(http::Verb method, const detail::Target& target, std::string body,
                                                           std::string content_type,
                                                           std::optional<std::chrono::milliseconds> timeout,
                                                           Headers headers);

  struct Pool;
  struct Tls;
  ClientOptions options_;
  std::unique_ptr<Pool> pool_;
  std::unique_ptr<Tls> tls_;
};

}  // namespace sluice::client
