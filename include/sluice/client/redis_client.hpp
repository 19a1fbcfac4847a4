#pragma once
// Async Redis client for IO threads: one pipelined connection per event loop, a deadline on
// every call, failures as values. hiredis is only the RESP codec and stays out of this header.

#include "sluice/core/error.hpp"
#include "sluice/di/container.hpp"

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

namespace sluice::client {

/// One Redis reply as an owned value (RESP2 types).
struct RedisReply {
  enum class Type { nil, integer, string, status, error, array };
  Type type = Type::nil;
  std::int64_t integer = 0;          // Type::integer
  std::string text;                  // Type::string (binary-safe), status and error text
  std::vector<RedisReply> elements;  // Type::array

  bool is_nil() const { return type == Type::nil; }
  bool is_error() const { return type == Type::error; }
  bool is_string() const { return type == Type::string; }
};

/// A Lua script and its SHA-1, computed once so that calls can send EVALSHA.
class RedisScript {
 public:
  explicit RedisScript(std::string body);
  const std::string& body() const { return body_; }
  const std::string& sha() const { return sha_; }  // 40 lower-case hex digits

 private:
  std::string body_;
  std::string sha_;
};

struct RedisOptions {
  std::string url = "redis://127.0.0.1:6379";  // redis://[[user]:password@]host[:port][/db]
  std::chrono::milliseconds timeout{1'000};    // per call, connecting included
};

/// Calls Redis from handlers without blocking the IO thread. Each event loop (thread) gets its
/// own connection, opened on first use; concurrent calls from one loop are pipelined on it and
/// their replies matched in order. A Redis that restarts is waited for: a call that finds no
/// connection (refused, or broken under it) or a server still `LOADING` its data is retried
/// with backoff (5 ms doubling to 250 ms) until its deadline. Once a call has spent its whole
/// deadline that way, Redis counts as down: later calls try once and fail at once, until one
/// gets an answer — so a long outage costs each caller one refused connect, not its deadline.
/// A call whose connection broke may have run already, so commands sent through this client
/// must tolerate a repeat (every script in Sluice is idempotent, or harmless when repeated).
/// Failures are values:
///  - `redis_unavailable` (502): cannot connect, or the connection broke; the next call reconnects;
///  - `redis_timeout` (504): no reply before the deadline; the connection is dropped, because the
///    replies still in flight could no longer be matched to their calls;
///  - `redis_error` (502): Redis answered with an error reply (its text is the message).
/// A connection's state is touched without locks, so each event loop must be run by one thread
/// (as each of Sluice's IO threads runs its own); an io_context run by several threads at once
/// is not supported.
class RedisClient {
 public:
  using Options = RedisOptions;
  /// Throws std::invalid_argument when `options.url` is not a redis:// URL.
  explicit RedisClient(Options options = {});
  ~RedisClient();
  RedisClient(const RedisClient&) = delete;
  RedisClient& operator=(const RedisClient&) = delete;

  /// Sends one command, e.g. {"SET", key, value, "PX", "1000"}; arguments are binary-safe.
  /// Request/reply commands only: SUBSCRIBE and MONITOR would break reply matching.
  boost::asio::awaitable<core::Result<RedisReply>> command(
      std::vector<std::string> args, std::optional<std::chrono::milliseconds> timeout = std::nullopt);
  /// Runs `script` with EVALSHA, falling back to EVAL (which also loads it) on NOSCRIPT.
  /// The script must outlive the call.
  boost::asio::awaitable<core::Result<RedisReply>> eval(
      const RedisScript& script, std::vector<std::string> keys, std::vector<std::string> args,
      std::optional<std::chrono::milliseconds> timeout = std::nullopt);

  /// Closes every open connection (each on its own event loop); calls afterwards reconnect.
  void close();

  /// Registers a shared RedisClient in `container`, closed by a shutdown hook.
  static std::shared_ptr<RedisClient> install(di::Container& container, Options options = {});

  struct Endpoint {
    std::string host;
    std::string port;
    int db = 0;
    std::string user;  // AUTH user password, when the URL has them
    std::string password;
  };
  class Connection;  // detail: one pipelined connection (redis_connection.hpp)

 private:
  std::shared_ptr<Connection> connection(const boost::asio::any_io_executor& executor);
  /// Sends `encoded` on this loop's connection, again while the failure is transient.
  boost::asio::awaitable<core::Result<RedisReply>> send(const std::string& encoded,
                                                        std::chrono::steady_clock::time_point deadline);

  Options options_;
  Endpoint endpoint_;
  std::uint64_t id_;       // keys this client's per-thread connections; never reused, unlike an address
  std::atomic<bool> is_down_{false};  // a call spent its deadline on a Redis that did not answer
  std::mutex open_mutex_;  // guards open_, touched only when a connection opens and on close()
  std::vector<std::weak_ptr<Connection>> open_;
};

}  // namespace sluice::client
