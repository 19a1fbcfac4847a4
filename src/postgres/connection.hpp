#pragma once
// One libpq connection in non-blocking mode, driven on one event loop: libpq does the protocol,
// Asio waits for the socket. Not thread-safe: only the pool's loop thread touches it.

#include "sluice/postgres/database.hpp"

#include <boost/asio/posix/stream_descriptor.hpp>

#include <chrono>
#include <optional>
#include <string>
#include <unordered_map>

struct pg_conn;  // libpq's PGconn

namespace sluice::postgres {

class Connection {
 public:
  using Clock = std::chrono::steady_clock;

  Connection(boost::asio::any_io_executor executor, std::string conninfo);
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  /// Connects (throws Unavailable when it cannot by `deadline`).
  boost::asio::awaitable<void> connect(Clock::time_point deadline);
  boost::asio::awaitable<Rows> query(std::string_view sql, const std::vector<Param>& params, bool binary_results,
                                     Clock::time_point deadline);
  boost::asio::awaitable<void> copy(std::string_view sql, std::string_view data, Clock::time_point deadline);
  /// Statements without parameters, several allowed (the simple query protocol).
  boost::asio::awaitable<void> execute(std::string_view sql, Clock::time_point deadline);
  /// Waits for NOTIFY payloads (after LISTEN) until `deadline`; empty when none came.
  boost::asio::awaitable<std::vector<std::string>> notifications(Clock::time_point deadline);
  /// A statement failed in a way that leaves the connection unusable (or it never opened).
  bool is_broken() const { return is_broken_; }

 private:
  enum class Wait { read, write, either };
  /// Whether the socket became ready for `what` before `deadline`.
  boost::asio::awaitable<bool> is_ready_by(Wait what, Clock::time_point deadline);
  /// Waits until the socket is ready for `what`, or throws Unavailable at `deadline`.
  boost::asio::awaitable<void> wait(Wait what, Clock::time_point deadline);
  boost::asio::awaitable<void> flush(Clock::time_point deadline);
  /// The next result of the statement in flight (null when it has no more).
  boost::asio::awaitable<pg_result*> next_result(Clock::time_point deadline);
  /// Reads every result of the statement in flight; the last one, or throws its error.
  boost::asio::awaitable<Rows> finish(Clock::time_point deadline);
  /// Points the descriptor at libpq's socket (which may change while connecting).
  void watch_socket();
  [[noreturn]] void fail(std::string what);

  boost::asio::any_io_executor executor_;
  std::string conninfo_;
  pg_conn* conn_ = nullptr;
  std::optional<boost::asio::posix::stream_descriptor> socket_;
  std::unordered_map<std::string, std::string> prepared_;  // SQL → statement name
  bool is_broken_ = true;
};

}  // namespace sluice::postgres
