#pragma once
// PostgreSQL, shared by several Sluice nodes: a bounded pool of libpq connections driven by
// libpq's asynchronous API on an event loop of their own (the socket from PQsocket, readiness
// awaited with Asio), prepared statements cached per connection, COPY for bulk rows. Stores
// call it from compute threads (`transaction`, which waits) or from IO threads (`co_await
// transaction_async`): neither blocks an IO thread. libpq stays out of this header.

#include "sluice/core/error.hpp"

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <future>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

struct pg_result;  // libpq's PGresult

namespace sluice::postgres {

struct Options {
  std::string url;  // postgresql://user:password@host:port/database (any libpq connection string)
  std::size_t connections = 8;  // the pool's bound, per process
  /// Per unit of work (waiting for a connection, connecting and every statement included).
  std::chrono::milliseconds timeout{10'000};
};

/// The database cannot be reached or the connection broke: 503 `database_unavailable` with
/// Retry-After. Nothing of the unit of work was committed unless its COMMIT had been answered.
class Unavailable : public core::Failure {
 public:
  explicit Unavailable(std::string message);
};

/// PostgreSQL answered a statement with an error. Disk-full errors are a Failure of their own
/// (507 `insufficient_storage`, see StorageFull); others are bugs or bad data: 500.
class QueryError : public std::runtime_error {
 public:
  QueryError(std::string sqlstate, std::string message);
  const std::string& sqlstate() const { return sqlstate_; }

 private:
  std::string sqlstate_;
};

/// PostgreSQL ran out of disk (SQLSTATE class 53: 53100 disk_full, 53200 out_of_memory...).
class StorageFull : public core::Failure {
 public:
  explicit StorageFull(std::string message);
};

/// The rows of one statement (text format unless the statement asked for binary results).
class Rows {
 public:
  Rows() = default;
  explicit Rows(pg_result* result);
  int size() const;
  bool is_null(int row, int column) const;
  std::string_view text(int row, int column) const;
  std::int64_t integer(int row, int column) const;  // a text-format integer
  double number(int row, int column) const;         // a text-format number
  bool boolean(int row, int column) const;          // a text-format boolean
  /// A binary-format int8 column.
  std::int64_t binary_integer(int row, int column) const;
  /// How many rows an INSERT/UPDATE/DELETE touched.
  std::int64_t affected() const;

 private:
  std::shared_ptr<pg_result> result_;
};

/// One statement parameter: text (or bytes when `is_binary`), or SQL NULL.
struct Param {
  Param(std::string_view text) : data(text) {}  // NOLINT(google-explicit-constructor)
  Param(const std::string& text) : data(text) {}  // NOLINT(google-explicit-constructor)
  Param(const char* text) : data(text) {}  // NOLINT(google-explicit-constructor)
  static Param null() { Param p{std::string_view{}}; p.is_null = true; return p; }
  static Param bytes(std::string_view data) { Param p{data}; p.is_binary = true; return p; }
  std::string_view data;
  bool is_null = false;
  bool is_binary = false;
};

class Connection;  // src/postgres

/// One pooled connection, lent to a unit of work. Every call awaits the database on the
/// pool's event loop and throws Unavailable, StorageFull or QueryError.
class Session {
 public:
  Session(Connection& connection, std::chrono::steady_clock::time_point deadline)
      : connection_(connection), deadline_(deadline) {}
  /// A statement with $1, $2... parameters (strings, or Param for NULL and bytes), prepared
  /// once per connection. Parameters are arguments, not a braced list: GCC 12 cannot keep an
  /// initializer_list alive across a co_await.
  template <class... P>
  boost::asio::awaitable<Rows> query(std::string_view sql, const P&... params) {
    return query_list(sql, std::vector<Param>{Param(params)...}, false);
  }
  /// The same with results in binary format (bytea as its bytes, int8 big-endian).
  template <class... P>
  boost::asio::awaitable<Rows> query_binary(std::string_view sql, const P&... params) {
    return query_list(sql, std::vector<Param>{Param(params)...}, true);
  }
  boost::asio::awaitable<Rows> query_list(std::string_view sql, std::vector<Param> params, bool binary_results = false);
  /// COPY ... FROM STDIN with `data` in COPY's text format (see copy_field).
  boost::asio::awaitable<void> copy(std::string_view sql, std::string_view data);
  /// Statements without parameters, several allowed (migrations, BEGIN/COMMIT).
  boost::asio::awaitable<void> execute(std::string_view sql);
  /// Whether the server has answered anything yet: a pooled connection that turns out dead
  /// before that may be replaced and the unit of work retried.
  bool has_answered() const { return has_answered_; }

 private:
  Connection& connection_;
  std::chrono::steady_clock::time_point deadline_;
  bool has_answered_ = false;
};

/// Appends `value` to a COPY text-format row, escaped (backslash, tab, newline, CR).
void copy_field(std::string& row, std::string_view value);
/// `{1,2,3}`: an int8[] parameter.
std::string int_array(const std::vector<std::int64_t>& values);
/// `{"a","b"}`: a text[] parameter, each element quoted.
std::string text_array(const std::vector<std::string>& values);
/// Parses an int8[] column in text format.
std::vector<std::int64_t> parse_int_array(std::string_view text);

class Database : public std::enable_shared_from_this<Database> {
 public:
  using Work = std::function<boost::asio::awaitable<void>(Session&)>;

  /// Starts the pool's event loop; connects lazily. Throws std::invalid_argument when the
  /// URL is not a connection string libpq accepts.
  static std::shared_ptr<Database> open(Options options);
  ~Database();
  Database(const Database&) = delete;
  Database& operator=(const Database&) = delete;

  /// Runs `work(session)` inside BEGIN/COMMIT on a pooled connection and waits for it; a
  /// serialization failure, deadlock or unique-key race is retried (the work must be a pure
  /// function of what it reads). For compute threads and jobs, never an IO thread.
  template <class F>
  auto transaction(F work) {
    return run_typed(std::move(work), true);
  }
  /// The same without a transaction (one statement, or reads that need no snapshot).
  template <class F>
  auto session(F work) {
    return run_typed(std::move(work), false);
  }
  /// Starts `work` (no transaction) on the pool's loop and returns at once: the round trip
  /// overlaps what the caller does until get(). Whatever `work` refers to must outlive that.
  template <class F>
  auto session_started(F work) {
    using R = typename std::invoke_result_t<F&, Session&>::value_type;
    auto out = std::make_shared<std::optional<R>>();
    auto done = start([out, work = std::move(work)](Session& s) mutable -> boost::asio::awaitable<void> {
      out->emplace(co_await work(s));
    });
    return std::async(std::launch::deferred, [out, done = std::move(done)]() mutable {
      done.get();
      return std::move(**out);
    });
  }
  /// Awaited from an IO thread: the work runs on the pool's loop, the caller resumes on its own.
  boost::asio::awaitable<void> transaction_async(Work work);

  /// Applies `steps` (step i is version i + 1) of `component`'s schema that this database has
  /// not seen, each in its own transaction, under an advisory lock: safe when several nodes
  /// start at once.
  void migrate(std::string_view component, const std::vector<std::string_view>& steps);
  /// Whether a connection answers `SELECT 1` now (for /ready); the error when not.
  boost::asio::awaitable<core::Result<bool>> ping();

  /// Listens on `channel` on a connection of its own for as long as the database lives:
  /// `on_notify(payload)` for each NOTIFY, `on_connected()` after each (re)connect (what was
  /// announced while it was away is lost, so listeners re-read what they follow then). Both run
  /// on the pool's loop: they must only hand work on.
  void listen(std::string channel, std::function<void(std::string_view)> on_notify,
              std::function<void()> on_connected);

  const Options& options() const { return options_; }
  boost::asio::any_io_executor executor();

  struct Pool;  // src/postgres/database.cpp

 private:
  explicit Database(Options options);
  void run(Work work, bool is_transaction);
  std::future<void> start(Work work);
  boost::asio::awaitable<void> unit(Work work, bool is_transaction, std::chrono::milliseconds timeout);

  template <class F>
  auto run_typed(F work, bool is_transaction) {
    using R = typename std::invoke_result_t<F&, Session&>::value_type;
    if constexpr (std::is_void_v<R>) {
      run([&](Session& s) -> boost::asio::awaitable<void> { co_await work(s); }, is_transaction);
    } else {
      std::optional<R> out;
      run([&](Session& s) -> boost::asio::awaitable<void> { out.emplace(co_await work(s)); }, is_transaction);
      return std::move(*out);
    }
  }

  Options options_;
  std::unique_ptr<Pool> pool_;
};

}  // namespace sluice::postgres
