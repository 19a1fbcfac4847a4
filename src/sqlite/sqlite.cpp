#include "sqlite.hpp"

#include <cerrno>

namespace sluice::sqlite {

StorageFull::StorageFull(std::string detail)
    : core::Failure({507, "insufficient_storage",
                     "The server's disk is full: this change was not stored (its transaction was rolled back); "
                     "what was stored before it is intact. " + detail,
                     nullptr}) {}

namespace {

/// Out of space: the disk (ENOSPC, which SQLite reports as SQLITE_FULL), a quota (EDQUOT) or the
/// process's file-size limit (EFBIG, RLIMIT_FSIZE) — the same to the client: nothing more fits.
bool is_disk_full(sqlite3* db, int rc) {
  const int error = sqlite3_system_errno(db);
  return (rc & 0xff) == SQLITE_FULL ||
         ((rc & 0xff) == SQLITE_IOERR && (error == ENOSPC || error == EFBIG || error == EDQUOT));
}

void check(sqlite3* db, int rc, std::string_view what) {
  if (rc == SQLITE_OK || rc == SQLITE_ROW || rc == SQLITE_DONE) return;
  if (is_disk_full(db, sqlite3_extended_errcode(db))) throw StorageFull(sqlite3_errmsg(db));
  throw Error(std::string(what) + ": " + sqlite3_errmsg(db));
}

}  // namespace

Statement::Statement(sqlite3* db, std::string_view sql) : db_(db) {
  check(db, sqlite3_prepare_v2(db, sql.data(), static_cast<int>(sql.size()), &statement_, nullptr), sql);
}
Statement::~Statement() { sqlite3_finalize(statement_); }

Statement& Statement::bind(int index, std::string_view text) {
  // A null data pointer would bind SQL NULL, not the empty string.
  const char* data = text.data() ? text.data() : "";
  check(db_, sqlite3_bind_text(statement_, index, data, static_cast<int>(text.size()), SQLITE_TRANSIENT),
        "bind");
  return *this;
}
Statement& Statement::bind(int index, std::int64_t value) {
  check(db_, sqlite3_bind_int64(statement_, index, value), "bind");
  return *this;
}
Statement& Statement::bind(int index, double value) {
  check(db_, sqlite3_bind_double(statement_, index, value), "bind");
  return *this;
}
Statement& Statement::bind_null(int index) {
  check(db_, sqlite3_bind_null(statement_, index), "bind");
  return *this;
}

Statement& Statement::bind_blob(int index, const void* data, std::size_t size) {
  check(db_, sqlite3_bind_blob64(statement_, index, data, size, SQLITE_TRANSIENT), "bind");
  return *this;
}

bool Statement::step() {
  int rc = sqlite3_step(statement_);
  check(db_, rc, "step");
  return rc == SQLITE_ROW;
}

int Statement::run() {
  while (step()) {
  }
  return sqlite3_changes(db_);
}

void Statement::reset() {
  sqlite3_reset(statement_);
  sqlite3_clear_bindings(statement_);
}

std::string Statement::text(int column) const {
  auto* data = reinterpret_cast<const char*>(sqlite3_column_text(statement_, column));
  return data ? std::string(data, static_cast<std::size_t>(sqlite3_column_bytes(statement_, column))) : std::string();
}

Database::Database(const std::string& path) {
  int rc = sqlite3_open_v2(path.c_str(), &db_, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX,
                           nullptr);
  if (rc != SQLITE_OK) {
    std::string message = db_ ? sqlite3_errmsg(db_) : "out of memory";
    sqlite3_close(db_);
    throw Error("cannot open " + path + ": " + message);
  }
  // Another process (sluice worker) may hold the write lock briefly: wait rather than fail.
  sqlite3_busy_timeout(db_, 10'000);
}

Database::~Database() { sqlite3_close(db_); }

void Database::exec(std::string_view sql) {
  char* error = nullptr;
  int rc = sqlite3_exec(db_, std::string(sql).c_str(), nullptr, nullptr, &error);
  if (rc != SQLITE_OK) {
    std::string message = error ? error : sqlite3_errmsg(db_);
    sqlite3_free(error);
    if (is_disk_full(db_, sqlite3_extended_errcode(db_))) throw StorageFull(message);
    throw Error(message);
  }
}

Transaction::Transaction(Database& db) : db_(db) { db_.exec("BEGIN IMMEDIATE"); }
Transaction::~Transaction() {
  if (!is_done_) {
    try {
      db_.exec("ROLLBACK");
    } catch (...) {  // nothing more to do in a destructor
    }
  }
}
void Transaction::commit() {
  db_.exec("COMMIT");
  is_done_ = true;
}

}  // namespace sluice::sqlite
