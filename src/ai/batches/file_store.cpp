#include "file_store.hpp"

#include "sqlite/sqlite.hpp"

#include <fmt/format.h>

#include <cctype>
#include <chrono>
#include <fstream>
#include <random>
#include <stdexcept>
#include <system_error>

namespace sluice::ai::batches {

namespace {

std::int64_t unix_seconds() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

StoredFile read_row(const sqlite::Statement& row) {
  return {row.text(0), row.text(1), row.text(2), row.text(3), row.integer(4), row.integer(5)};
}

constexpr std::string_view kColumns = "id, owner, purpose, filename, bytes, created_at";

}  // namespace

boost::json::object StoredFile::to_json() const {
  return {{"id", id},
          {"object", "file"},
          {"bytes", bytes},
          {"created_at", created_at},
          {"filename", filename},
          {"purpose", purpose},
          {"status", "processed"},
          {"status_details", nullptr},
          {"expires_at", nullptr}};
}

std::string FileStore::new_id() {
  thread_local std::mt19937_64 random{std::random_device{}()};
  return fmt::format("file-{:016x}{:08x}", random(), static_cast<std::uint32_t>(random()));
}

FileStore::FileStore(const std::filesystem::path& data_dir) : directory_(data_dir / "files") {
  std::filesystem::create_directories(directory_);
  db_ = std::make_unique<sqlite::Database>((data_dir / "openai.db").string());
  db_->exec("PRAGMA journal_mode=WAL");
  db_->exec("PRAGMA synchronous=NORMAL");
  db_->exec(
      "CREATE TABLE IF NOT EXISTS files (id TEXT PRIMARY KEY, owner TEXT NOT NULL, purpose TEXT NOT NULL, "
      "filename TEXT NOT NULL, bytes INTEGER NOT NULL, created_at INTEGER NOT NULL)");
}

FileStore::~FileStore() = default;

StoredFile FileStore::create(std::string owner, std::string purpose, std::string filename, std::string_view content) {
  auto id = new_id();
  auto temporary = directory_ / (id + ".upload");
  {
    std::ofstream out(temporary, std::ios::binary | std::ios::trunc);
    out.write(content.data(), static_cast<std::streamsize>(content.size()));
    out.close();
    if (!out) {
      std::error_code ignored;
      std::filesystem::remove(temporary, ignored);
      throw std::runtime_error("cannot write " + temporary.string());
    }
  }
  std::filesystem::rename(temporary, path(id));
  return adopt(id, std::move(owner), std::move(purpose), std::move(filename));
}

StoredFile FileStore::adopt(const std::string& id, std::string owner, std::string purpose, std::string filename) {
  StoredFile file{id,
                  std::move(owner),
                  std::move(purpose),
                  std::move(filename),
                  static_cast<std::int64_t>(std::filesystem::file_size(path(id))),
                  unix_seconds()};
  std::lock_guard lock(mutex_);
  sqlite::Statement insert(db_->handle(),
                           "INSERT OR REPLACE INTO files (id, owner, purpose, filename, bytes, created_at) "
                           "VALUES (?, ?, ?, ?, ?, ?)");
  insert.bind(1, file.id).bind(2, file.owner).bind(3, file.purpose).bind(4, file.filename);
  insert.bind(5, file.bytes).bind(6, file.created_at).run();
  return file;
}

std::optional<StoredFile> FileStore::get(const std::string& id, const std::string& owner) {
  std::lock_guard lock(mutex_);
  sqlite::Statement select(db_->handle(), fmt::format("SELECT {} FROM files WHERE id = ? AND owner = ?", kColumns));
  select.bind(1, id).bind(2, owner);
  if (!select.step()) return std::nullopt;
  return read_row(select);
}

FileListing FileStore::list(const std::string& owner, const std::string& purpose, const std::string& after,
                            std::size_t limit) {
  std::lock_guard lock(mutex_);
  sqlite::Statement select(
      db_->handle(),
      fmt::format("SELECT {} FROM files WHERE owner = ?1 AND (?2 = '' OR purpose = ?2) AND "
                  "(?3 = '' OR rowid < (SELECT rowid FROM files WHERE id = ?3)) ORDER BY rowid DESC LIMIT ?4",
                  kColumns));
  select.bind(1, owner).bind(2, purpose).bind(3, after).bind(4, static_cast<std::int64_t>(limit + 1));
  FileListing listing;
  while (select.step()) listing.files.push_back(read_row(select));
  if (listing.files.size() > limit) {
    listing.files.pop_back();
    listing.has_more = true;
  }
  return listing;
}

bool FileStore::remove(const std::string& id, const std::string& owner) {
  {
    std::lock_guard lock(mutex_);
    sqlite::Statement erase(db_->handle(), "DELETE FROM files WHERE id = ? AND owner = ?");
    if (erase.bind(1, id).bind(2, owner).run() == 0) return false;
  }
  // A batch reading this file keeps its open descriptor: unlinking does not cut it short.
  std::error_code ignored;
  std::filesystem::remove(path(id), ignored);
  return true;
}

}  // namespace sluice::ai::batches
