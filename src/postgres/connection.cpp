#include "connection.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <fmt/format.h>
#include <libpq-fe.h>
#include <spdlog/spdlog.h>

#include <algorithm>

namespace sluice::postgres {

namespace asio = boost::asio;
using namespace asio::experimental::awaitable_operators;

namespace {

constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);
// Dynamic SQL (metadata filters) is not worth a server-side statement each; past this many a
// connection runs new statements unnamed.
constexpr std::size_t kMaxPrepared = 200;

std::string trimmed(const char* message) {
  std::string text = message ? message : "";
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
  return text;
}

/// libpq prints the server's notices on stderr by default; they belong in the log.
void log_notice(void*, const char* message) { spdlog::debug("database: {}", trimmed(message)); }

}  // namespace

Connection::Connection(asio::any_io_executor executor, std::string conninfo)
    : executor_(std::move(executor)), conninfo_(std::move(conninfo)) {}

Connection::~Connection() {
  if (socket_) socket_->release();  // libpq owns the socket and closes it in PQfinish
  if (conn_) PQfinish(conn_);
}

void Connection::fail(std::string what) {
  is_broken_ = true;
  auto reason = conn_ ? trimmed(PQerrorMessage(conn_)) : std::string();
  throw Unavailable(reason.empty() ? what : what + ": " + reason);
}

void Connection::watch_socket() {
  if (socket_) socket_->release();
  socket_.reset();
  const int fd = PQsocket(conn_);
  if (fd < 0) fail("the database connection has no socket");
  socket_.emplace(executor_, fd);
}

asio::awaitable<bool> Connection::is_ready_by(Wait what, Clock::time_point deadline) {
  asio::steady_timer timer(executor_, deadline);
  auto ready = [this](asio::posix::descriptor_base::wait_type type) { return socket_->async_wait(type, use_tuple); };
  // Each result is stored before co_return: GCC 12 miscompiles a co_await of these operator
  // expressions inside a co_return.
  bool is_ready = false;
  switch (what) {
    case Wait::read:
      is_ready = (co_await (ready(asio::posix::descriptor_base::wait_read) || timer.async_wait(use_tuple))).index() == 0;
      break;
    case Wait::write:
      is_ready = (co_await (ready(asio::posix::descriptor_base::wait_write) || timer.async_wait(use_tuple))).index() == 0;
      break;
    case Wait::either:
      is_ready = (co_await (ready(asio::posix::descriptor_base::wait_read) ||
                            ready(asio::posix::descriptor_base::wait_write) || timer.async_wait(use_tuple)))
                     .index() != 2;
      break;
  }
  co_return is_ready;
}

asio::awaitable<void> Connection::wait(Wait what, Clock::time_point deadline) {
  // A statement still in flight cannot be matched to a later caller: the connection goes.
  const bool is_ready = co_await is_ready_by(what, deadline);
  if (!is_ready) fail("the database did not answer in time");
}

asio::awaitable<void> Connection::connect(Clock::time_point deadline) {
  conn_ = PQconnectStart(conninfo_.c_str());
  if (!conn_) throw Unavailable("cannot allocate a database connection");
  if (PQstatus(conn_) == CONNECTION_BAD) fail("cannot connect to the database");
  PQsetNoticeProcessor(conn_, log_notice, nullptr);
  // libpq's loop: start as if PQconnectPoll had asked to write. The socket may change between
  // polls (another address tried), so the descriptor is re-pointed each time.
  auto state = PGRES_POLLING_WRITING;
  while (state != PGRES_POLLING_OK) {
    if (state == PGRES_POLLING_FAILED) fail("cannot connect to the database");
    watch_socket();
    co_await wait(state == PGRES_POLLING_READING ? Wait::read : Wait::write, deadline);
    state = PQconnectPoll(conn_);
  }
  if (PQsetnonblocking(conn_, 1) != 0) fail("cannot make the database connection non-blocking");
  watch_socket();
  is_broken_ = false;
}

asio::awaitable<void> Connection::flush(Clock::time_point deadline) {
  while (true) {
    const int pending = PQflush(conn_);
    if (pending == 0) co_return;
    if (pending < 0) fail("cannot send to the database");
    // The server may be waiting for us to read before it reads more: read while waiting.
    co_await wait(Wait::either, deadline);
    if (PQconsumeInput(conn_) == 0) fail("lost the database connection");
  }
}

asio::awaitable<pg_result*> Connection::next_result(Clock::time_point deadline) {
  while (PQisBusy(conn_)) {
    co_await wait(Wait::read, deadline);
    if (PQconsumeInput(conn_) == 0) fail("lost the database connection");
  }
  co_return PQgetResult(conn_);
}

asio::awaitable<Rows> Connection::finish(Clock::time_point deadline) {
  Rows last;
  std::string sqlstate, message;
  while (pg_result* result = co_await next_result(deadline)) {
    const auto status = PQresultStatus(result);
    if (status == PGRES_FATAL_ERROR || status == PGRES_NONFATAL_ERROR) {
      if (sqlstate.empty()) {
        const char* state = PQresultErrorField(result, PG_DIAG_SQLSTATE);
        sqlstate = state ? state : "XX000";
        message = trimmed(PQresultErrorMessage(result));
      }
      PQclear(result);
      continue;
    }
    if (status == PGRES_COPY_IN || status == PGRES_COPY_OUT) {
      PQclear(result);
      is_broken_ = true;  // the caller did not expect COPY: the protocol state is unknown
      throw QueryError("XX000", "unexpected COPY state");
    }
    last = Rows(result);
  }
  if (PQstatus(conn_) == CONNECTION_BAD) fail("lost the database connection");
  if (!sqlstate.empty()) {
    // Class 08 (connection exception) and 57P0x (the server shutting down) mean the database
    // went away; class 53 (insufficient resources) that it ran out of disk or memory.
    if (sqlstate.starts_with("08") || sqlstate.starts_with("57P")) {
      is_broken_ = true;
      throw Unavailable(message);
    }
    if (sqlstate.starts_with("53")) throw StorageFull(message);
    throw QueryError(sqlstate, message);
  }
  co_return last;
}

asio::awaitable<Rows> Connection::query(std::string_view sql, const std::vector<Param>& params, bool binary_results,
                                        Clock::time_point deadline) {
  // Text parameters must be NUL-terminated; binary ones are passed with their lengths.
  std::vector<std::string> texts(params.size());
  std::vector<const char*> values(params.size());
  std::vector<int> lengths(params.size()), formats(params.size());
  for (std::size_t i = 0; i < params.size(); ++i) {
    if (params[i].is_null) continue;
    if (params[i].is_binary) {
      values[i] = params[i].data.data();
      lengths[i] = static_cast<int>(params[i].data.size());
      formats[i] = 1;
    } else {
      texts[i].assign(params[i].data);
      values[i] = texts[i].c_str();
    }
  }
  const int count = static_cast<int>(params.size());
  std::string statement(sql);
  auto known = prepared_.find(statement);
  if (known == prepared_.end() && prepared_.size() < kMaxPrepared) {
    auto name = fmt::format("sluice_{}", prepared_.size() + 1);
    if (!PQsendPrepare(conn_, name.c_str(), statement.c_str(), count, nullptr)) fail("cannot send to the database");
    co_await flush(deadline);
    co_await finish(deadline);
    known = prepared_.emplace(statement, std::move(name)).first;
  }
  const int sent = known != prepared_.end()
                       ? PQsendQueryPrepared(conn_, known->second.c_str(), count, values.data(), lengths.data(),
                                             formats.data(), binary_results ? 1 : 0)
                       : PQsendQueryParams(conn_, statement.c_str(), count, nullptr, values.data(), lengths.data(),
                                           formats.data(), binary_results ? 1 : 0);
  if (!sent) fail("cannot send to the database");
  co_await flush(deadline);
  co_return co_await finish(deadline);
}

asio::awaitable<void> Connection::copy(std::string_view sql, std::string_view data, Clock::time_point deadline) {
  std::string statement(sql);
  if (!PQsendQuery(conn_, statement.c_str())) fail("cannot send to the database");
  co_await flush(deadline);
  pg_result* start = co_await next_result(deadline);
  const bool is_copying = start && PQresultStatus(start) == PGRES_COPY_IN;
  if (start) PQclear(start);
  if (!is_copying) {
    co_await finish(deadline);  // throws the statement's error
    throw QueryError("XX000", "COPY did not start");
  }
  constexpr std::size_t kPiece = 256 * 1024;
  for (std::size_t offset = 0; offset < data.size();) {
    const auto size = std::min(kPiece, data.size() - offset);
    const int put = PQputCopyData(conn_, data.data() + offset, static_cast<int>(size));
    if (put < 0) fail("cannot send to the database");
    if (put == 1) offset += size;
    else co_await wait(Wait::write, deadline);
    co_await flush(deadline);
  }
  int ended;
  while ((ended = PQputCopyEnd(conn_, nullptr)) == 0) co_await wait(Wait::write, deadline);
  if (ended < 0) fail("cannot send to the database");
  co_await flush(deadline);
  co_await finish(deadline);
}

asio::awaitable<std::vector<std::string>> Connection::notifications(Clock::time_point deadline) {
  std::vector<std::string> payloads;
  auto drain = [&] {
    while (PGnotify* notify = PQnotifies(conn_)) {
      payloads.emplace_back(notify->extra ? notify->extra : "");
      PQfreemem(notify);
    }
  };
  drain();  // some may have arrived with the last statement's answer
  if (!payloads.empty()) co_return payloads;
  const bool has_news = co_await is_ready_by(Wait::read, deadline);
  if (!has_news) co_return payloads;  // a quiet spell is no failure
  if (PQconsumeInput(conn_) == 0) fail("lost the database connection");
  drain();
  co_return payloads;
}

asio::awaitable<void> Connection::execute(std::string_view sql, Clock::time_point deadline) {
  std::string statement(sql);
  if (!PQsendQuery(conn_, statement.c_str())) fail("cannot send to the database");
  co_await flush(deadline);
  co_await finish(deadline);
}

}  // namespace sluice::postgres
