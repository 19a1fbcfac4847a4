#pragma once
// A thin RAII layer over the SQLite C API: a connection and prepared statements. An internal
// library (not public API) that the job store, the dataset store and the batch stores link.

#include "sluice/core/error.hpp"

#include <sqlite3.h>

#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>

namespace sluice::sqlite {

class Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// The disk is full (SQLITE_FULL, or a write that failed with ENOSPC): answered as 507
/// `insufficient_storage`, not 500. SQLite rolls the statement back; the Transaction guard
/// rolls back the rest.
class StorageFull : public core::Failure {
 public:
  explicit StorageFull(std::string detail);
};

class Statement {
 public:
  Statement(sqlite3* db, std::string_view sql);
  ~Statement();
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;

  Statement& bind(int index, std::string_view text);
  Statement& bind(int index, std::int64_t value);
  Statement& bind(int index, double value);
  Statement& bind_null(int index);
  /// Binds bytes (copied by SQLite) as a BLOB.
  Statement& bind_blob(int index, const void* data, std::size_t size);
  /// Steps once: true while rows come, false when done; throws on error.
  bool step();
  /// Runs a statement that returns no rows; the number of rows it changed.
  int run();
  void reset();

  std::int64_t integer(int column) const { return sqlite3_column_int64(statement_, column); }
  double real(int column) const { return sqlite3_column_double(statement_, column); }
  std::string text(int column) const;
  bool is_null(int column) const { return sqlite3_column_type(statement_, column) == SQLITE_NULL; }
  /// A BLOB column's bytes, valid until the next step() or reset().
  std::string_view blob(int column) const {
    const auto* data = static_cast<const char*>(sqlite3_column_blob(statement_, column));
    return data ? std::string_view(data, static_cast<std::size_t>(sqlite3_column_bytes(statement_, column)))
                : std::string_view();
  }

 private:
  sqlite3* db_;
  sqlite3_stmt* statement_ = nullptr;
};

class Database {
 public:
  explicit Database(const std::string& path);
  ~Database();
  Database(const Database&) = delete;
  Database& operator=(const Database&) = delete;

  void exec(std::string_view sql);
  sqlite3* handle() { return db_; }

 private:
  sqlite3* db_ = nullptr;
};

/// BEGIN IMMEDIATE … COMMIT, rolled back if not committed (an exception left the scope).
class Transaction {
 public:
  explicit Transaction(Database& db);
  ~Transaction();
  void commit();

 private:
  Database& db_;
  bool is_done_ = false;
};

}  // namespace sluice::sqlite
