#include "sluice/postgres/database.hpp"

#include "connection.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/use_future.hpp>
#include <libpq-fe.h>
#include <spdlog/spdlog.h>

#include <charconv>
#include <cstring>
#include <deque>
#include <stdexcept>
#include <thread>

namespace sluice::postgres {

namespace asio = boost::asio;
using Clock = std::chrono::steady_clock;

namespace {

constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);
constexpr unsigned kRetryAfterSeconds = 2;
constexpr int kAttempts = 5;  // for serialization failures, deadlocks and unique-key races

bool is_retryable(const std::string& sqlstate) {
  return sqlstate == "40001" || sqlstate == "40P01" || sqlstate == "23505";
}

}  // namespace

Unavailable::Unavailable(std::string message)
    : core::Failure({503, "database_unavailable", "the database is unavailable: " + message, nullptr},
                    kRetryAfterSeconds) {}

StorageFull::StorageFull(std::string message)
    : core::Failure({507, "insufficient_storage", "the database is out of space: " + message, nullptr}) {}

QueryError::QueryError(std::string sqlstate, std::string message)
    : std::runtime_error("database error " + sqlstate + ": " + message), sqlstate_(std::move(sqlstate)) {}

// --- Rows -----------------------------------------------------------------------------------

Rows::Rows(pg_result* result) : result_(result, PQclear) {}

int Rows::size() const { return result_ ? PQntuples(result_.get()) : 0; }

bool Rows::is_null(int row, int column) const { return PQgetisnull(result_.get(), row, column) != 0; }

std::string_view Rows::text(int row, int column) const {
  return {PQgetvalue(result_.get(), row, column), static_cast<std::size_t>(PQgetlength(result_.get(), row, column))};
}

std::int64_t Rows::integer(int row, int column) const {
  auto value = text(row, column);
  std::int64_t out = 0;
  std::from_chars(value.data(), value.data() + value.size(), out);
  return out;
}

double Rows::number(int row, int column) const {
  auto value = text(row, column);
  double out = 0;
  std::from_chars(value.data(), value.data() + value.size(), out);
  return out;
}

bool Rows::boolean(int row, int column) const { return text(row, column) == "t"; }

std::int64_t Rows::binary_integer(int row, int column) const {
  auto value = text(row, column);
  std::uint64_t big = 0;
  for (std::size_t i = 0; i < value.size() && i < 8; ++i) big = (big << 8) | static_cast<unsigned char>(value[i]);
  return static_cast<std::int64_t>(big);
}

std::int64_t Rows::affected() const {
  if (!result_) return 0;
  const char* count = PQcmdTuples(result_.get());
  return count && *count ? std::strtoll(count, nullptr, 10) : 0;
}

// --- encoding helpers -----------------------------------------------------------------------

void copy_field(std::string& row, std::string_view value) {
  for (char c : value) {
    switch (c) {
      case '\\': row += "\\\\"; break;
      case '\t': row += "\\t"; break;
      case '\n': row += "\\n"; break;
      case '\r': row += "\\r"; break;
      default: row += c;
    }
  }
}

std::string int_array(const std::vector<std::int64_t>& values) {
  std::string out = "{";
  for (std::size_t i = 0; i < values.size(); ++i) {
    if (i) out += ',';
    out += std::to_string(values[i]);
  }
  out += '}';
  return out;
}

std::string text_array(const std::vector<std::string>& values) {
  std::string out = "{";
  for (std::size_t i = 0; i < values.size(); ++i) {
    if (i) out += ',';
    out += '"';
    for (char c : values[i]) {
      if (c == '"' || c == '\\') out += '\\';
      out += c;
    }
    out += '"';
  }
  out += '}';
  return out;
}

std::vector<std::int64_t> parse_int_array(std::string_view text) {
  std::vector<std::int64_t> out;
  const char* p = text.data();
  const char* end = p + text.size();
  while (p < end) {
    if (*p == '-' || (*p >= '0' && *p <= '9')) {
      std::int64_t value = 0;
      p = std::from_chars(p, end, value).ptr;
      out.push_back(value);
    } else {
      ++p;
    }
  }
  return out;
}

// --- Session --------------------------------------------------------------------------------

asio::awaitable<Rows> Session::query_list(std::string_view sql, std::vector<Param> params, bool binary_results) {
  auto rows = co_await connection_.query(sql, params, binary_results, deadline_);
  has_answered_ = true;
  co_return rows;
}

asio::awaitable<void> Session::copy(std::string_view sql, std::string_view data) {
  co_await connection_.copy(sql, data, deadline_);
  has_answered_ = true;
}

asio::awaitable<void> Session::execute(std::string_view sql) {
  co_await connection_.execute(sql, deadline_);
  has_answered_ = true;
}

// --- the pool -------------------------------------------------------------------------------

/// Owned by its loop thread: only coroutines on `loop` touch the members below `thread`.
struct Database::Pool {
  explicit Pool(const Options& options) : conninfo(options.url), limit(std::max<std::size_t>(1, options.connections)) {}

  asio::io_context loop{1};
  asio::executor_work_guard<asio::io_context::executor_type> guard = asio::make_work_guard(loop);
  std::thread thread;
  std::string conninfo;
  std::size_t limit;
  std::size_t open = 0;  // connections lent out or idle
  std::vector<std::unique_ptr<Connection>> idle;
  std::deque<std::shared_ptr<asio::steady_timer>> waiters;  // units waiting for a connection
  bool is_stopping = false;  // listeners end when they see it

  asio::awaitable<std::unique_ptr<Connection>> acquire(Clock::time_point deadline) {
    while (true) {
      while (!idle.empty()) {
        auto connection = std::move(idle.back());
        idle.pop_back();
        if (!connection->is_broken()) co_return connection;
        --open;
      }
      if (open < limit) {
        ++open;
        auto connection = std::make_unique<Connection>(loop.get_executor(), conninfo);
        std::exception_ptr failure;
        try {
          co_await connection->connect(deadline);
        } catch (...) {
          failure = std::current_exception();
        }
        if (!failure) co_return connection;
        --open;
        wake_one();
        std::rethrow_exception(failure);
      }
      auto waiter = std::make_shared<asio::steady_timer>(loop, deadline);
      waiters.push_back(waiter);
      auto [ec] = co_await waiter->async_wait(use_tuple);
      if (!ec) {
        std::erase(waiters, waiter);
        throw Unavailable("no database connection became free in time");
      }
    }
  }

  void release(std::unique_ptr<Connection> connection) {
    if (connection->is_broken()) --open;
    else idle.push_back(std::move(connection));
    wake_one();
  }

  void wake_one() {
    if (waiters.empty()) return;
    waiters.front()->cancel();
    waiters.pop_front();
  }
};

namespace {

/// A connection lent to one unit of work, given back however the unit ends.
struct Lease {
  Database::Pool& pool;
  std::unique_ptr<Connection> connection;
  ~Lease() {
    if (connection) pool.release(std::move(connection));
  }
};

}  // namespace

std::shared_ptr<Database> Database::open(Options options) {
  char* error = nullptr;
  PQconninfoOption* parsed = PQconninfoParse(options.url.c_str(), &error);
  if (!parsed) {
    std::string message = error ? error : "not a connection string";
    if (error) PQfreemem(error);
    throw std::invalid_argument("--database-url: " + message);
  }
  PQconninfoFree(parsed);
  return std::shared_ptr<Database>(new Database(std::move(options)));
}

Database::Database(Options options) : options_(std::move(options)), pool_(std::make_unique<Pool>(options_)) {
  pool_->thread = std::thread([this] { pool_->loop.run(); });
}

Database::~Database() {
  // Connections close on the loop that owns them, then the loop ends.
  asio::post(pool_->loop, [pool = pool_.get()] {
    pool->idle.clear();
    pool->is_stopping = true;
    pool->guard.reset();
  });
  pool_->thread.join();
}

asio::any_io_executor Database::executor() { return pool_->loop.get_executor(); }

asio::awaitable<void> Database::unit(Work work, bool is_transaction, std::chrono::milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  for (int attempt = 1;; ++attempt) {
    auto connection = co_await pool_->acquire(deadline);
    Lease lease{*pool_, std::move(connection)};
    Session session(*lease.connection, deadline);
    std::exception_ptr failure;
    bool may_retry = false;
    try {
      if (is_transaction) co_await session.execute("BEGIN");
      co_await work(session);
      if (is_transaction) co_await session.execute("COMMIT");
      co_return;
    } catch (const QueryError& e) {
      failure = std::current_exception();
      may_retry = attempt < kAttempts && is_retryable(e.sqlstate());
    } catch (const Unavailable&) {
      // A pooled connection the server closed meanwhile (a restart) fails on its first
      // statement: nothing ran, so another connection may try.
      failure = std::current_exception();
      may_retry = !session.has_answered() && attempt <= static_cast<int>(pool_->limit);
    } catch (...) {
      failure = std::current_exception();
    }
    if (is_transaction && !lease.connection->is_broken()) {
      try {
        co_await session.execute("ROLLBACK");
      } catch (...) {
        // The connection is marked broken and dropped; the first failure is the one to report.
      }
    }
    if (!may_retry) std::rethrow_exception(failure);
  }
}

void Database::run(Work work, bool is_transaction) {
  asio::co_spawn(pool_->loop, unit(std::move(work), is_transaction, options_.timeout), asio::use_future).get();
}

std::future<void> Database::start(Work work) {
  return asio::co_spawn(pool_->loop, unit(std::move(work), false, options_.timeout), asio::use_future);
}

asio::awaitable<void> Database::transaction_async(Work work) {
  co_await asio::co_spawn(pool_->loop, unit(std::move(work), true, options_.timeout), asio::use_awaitable);
}

asio::awaitable<core::Result<bool>> Database::ping() {
  auto probe = [](Session& session) -> asio::awaitable<void> { co_await session.execute("SELECT 1"); };
  std::string failure;
  try {
    co_await asio::co_spawn(pool_->loop, unit(probe, false, std::min(options_.timeout, std::chrono::milliseconds(2'000))),
                            asio::use_awaitable);
    co_return true;
  } catch (const std::exception& e) {
    failure = e.what();
  }
  co_return core::Error{503, "database_unavailable", failure, nullptr};
}

namespace {

/// One listener: connect, LISTEN, hand on each payload; on any failure wait and start over.
/// It looks at `is_stopping` at least every `kTick`, so the database's destructor never waits long.
asio::awaitable<void> follow(Database::Pool& pool, std::string conninfo, std::string channel,
                             std::function<void(std::string_view)> on_notify, std::function<void()> on_connected) {
  constexpr auto kTick = std::chrono::milliseconds(250);
  auto backoff = std::chrono::milliseconds(100);
  while (!pool.is_stopping) {
    Connection connection(pool.loop.get_executor(), conninfo);
    bool was_connected = false;
    try {
      // Named values, not temporaries, in these co_awaits: GCC 12 ends some temporaries' lives early.
      const auto connect_by = Clock::now() + std::chrono::seconds(5);
      co_await connection.connect(connect_by);
      const std::string statement = "LISTEN " + channel;
      co_await connection.execute(statement, connect_by);
      was_connected = true;
      backoff = std::chrono::milliseconds(100);
      on_connected();
      while (!pool.is_stopping) {
        const auto until = Clock::now() + kTick;
        auto payloads = co_await connection.notifications(until);
        for (const auto& payload : payloads) on_notify(payload);
      }
    } catch (const std::exception& e) {
      if (was_connected) spdlog::warn("database: stopped listening on {}: {}", channel, e.what());
    }
    for (auto waited = std::chrono::milliseconds(0); waited < backoff && !pool.is_stopping; waited += kTick) {
      asio::steady_timer pause(pool.loop, std::min(kTick, backoff));
      co_await pause.async_wait(use_tuple);
    }
    backoff = std::min(backoff * 2, std::chrono::milliseconds(5'000));
  }
}

}  // namespace

void Database::listen(std::string channel, std::function<void(std::string_view)> on_notify,
                      std::function<void()> on_connected) {
  asio::co_spawn(pool_->loop,
                 follow(*pool_, options_.url, std::move(channel), std::move(on_notify), std::move(on_connected)),
                 asio::detached);
}

void Database::migrate(std::string_view component, const std::vector<std::string_view>& steps) {
  const std::string name(component);
  std::int64_t from = 0, to = 0;
  transaction([&name, &steps, &from, &to](Session& session) -> asio::awaitable<void> {
    // One node migrates at a time; the others wait here and then find nothing left to do.
    co_await session.execute(std::string_view("SELECT pg_advisory_xact_lock(7317001)"));
    co_await session.execute(std::string_view(
        "CREATE TABLE IF NOT EXISTS sluice_schema (component text NOT NULL, version integer NOT NULL, "
        "applied_at timestamptz NOT NULL DEFAULT now(), PRIMARY KEY (component, version))"));
    auto rows = co_await session.query(
        std::string_view("SELECT coalesce(max(version), 0) FROM sluice_schema WHERE component = $1"), name);
    from = to = rows.integer(0, 0);
    for (auto version = from + 1; version <= static_cast<std::int64_t>(steps.size()); ++version) {
      co_await session.execute(steps[static_cast<std::size_t>(version - 1)]);
      co_await session.query(std::string_view("INSERT INTO sluice_schema (component, version) VALUES ($1, $2)"),
                             name, std::to_string(version));
      to = version;
    }
  });
  if (to > from) spdlog::info("database: {} schema migrated from version {} to {}", name, from, to);
}

}  // namespace sluice::postgres
