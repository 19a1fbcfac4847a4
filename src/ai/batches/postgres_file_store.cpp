// Files on PostgreSQL, so that any node serves any file and a batch resumes on any worker: the
// bytes in a table of chunks (1 MiB each, read one at a time), a batch's result lines in a
// table of their own until publishing turns them into chunks of a file, in one transaction.

#include "file_store.hpp"

#include "sluice/postgres/database.hpp"

#include <boost/json/parse.hpp>

#include <chrono>
#include <stdexcept>
#include <streambuf>

namespace sluice::ai::batches {

namespace asio = boost::asio;
namespace json = boost::json;
using postgres::Param;
using postgres::Rows;
using postgres::Session;

namespace {

// Version 1. `key` orders listings (newest first) as SQLite's rowid does locally.
constexpr std::string_view kSchemaV1 = R"sql(
CREATE TABLE openai_files (
  key bigserial PRIMARY KEY,
  id text NOT NULL UNIQUE,
  owner text NOT NULL,
  purpose text NOT NULL,
  filename text NOT NULL,
  bytes bigint NOT NULL,
  created_at bigint NOT NULL);
CREATE INDEX openai_files_owner ON openai_files(owner, key);
CREATE TABLE openai_file_chunks (
  file_id text NOT NULL,
  seq integer NOT NULL,
  data bytea NOT NULL,
  PRIMARY KEY (file_id, seq));
CREATE TABLE openai_batch_lines (
  batch_id text NOT NULL,
  kind text NOT NULL,
  seq bigserial,
  custom_id text NOT NULL,
  line text NOT NULL,
  PRIMARY KEY (batch_id, kind, seq));
)sql";

constexpr std::string_view kColumns = "SELECT id, owner, purpose, filename, bytes, created_at FROM openai_files";
constexpr std::size_t kChunk = 1 << 20;
// Chunks per transaction when storing an upload: a few seconds' work at most, well inside the
// database's per-unit deadline however large the file.
constexpr std::size_t kChunksPerTransaction = 16;

std::int64_t unix_seconds() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

StoredFile read_file(const Rows& rows, int i) {
  return {std::string(rows.text(i, 0)), std::string(rows.text(i, 1)), std::string(rows.text(i, 2)),
          std::string(rows.text(i, 3)), rows.integer(i, 4),            rows.integer(i, 5)};
}

/// A file read one chunk at a time: the chunk after the last one read, so that a file deleted
/// meanwhile is noticed rather than read as shorter.
class ChunkReader final : public std::streambuf {
 public:
  ChunkReader(std::shared_ptr<postgres::Database> db, std::string id, std::int64_t bytes)
      : db_(std::move(db)), id_(std::move(id)), remaining_(bytes) {}

 protected:
  int_type underflow() override {
    if (gptr() < egptr()) return traits_type::to_int_type(*gptr());
    if (remaining_ <= 0) return traits_type::eof();
    auto after = std::to_string(last_seq_);
    auto rows = db_->session([&](Session& s) -> asio::awaitable<Rows> {
      auto chunk = co_await s.query_binary(
          "SELECT seq::int8, data FROM openai_file_chunks WHERE file_id = $1 AND seq > $2::int4 ORDER BY seq LIMIT 1",
          id_, after);
      co_return chunk;
    });
    if (rows.size() == 0) throw std::runtime_error("the file " + id_ + " was deleted while it was being read");
    last_seq_ = rows.binary_integer(0, 0);
    auto data = rows.text(0, 1);
    chunk_.assign(data.begin(), data.end());
    remaining_ -= static_cast<std::int64_t>(chunk_.size());
    if (chunk_.empty()) return traits_type::eof();
    setg(chunk_.data(), chunk_.data(), chunk_.data() + chunk_.size());
    return traits_type::to_int_type(*gptr());
  }

 private:
  std::shared_ptr<postgres::Database> db_;
  std::string id_;
  std::int64_t remaining_;
  std::int64_t last_seq_ = -1;
  std::string chunk_;
};

class ChunkStream final : public std::istream {
 public:
  ChunkStream(std::shared_ptr<postgres::Database> db, std::string id, std::int64_t bytes)
      : std::istream(nullptr), reader_(std::move(db), std::move(id), bytes) {
    rdbuf(&reader_);
    exceptions(std::ios::badbit);  // a read that fails throws, rather than looking like the end
  }

 private:
  ChunkReader reader_;
};

class PostgresFileStore;

class PostgresResultLog final : public ResultLog {
 public:
  PostgresResultLog(PostgresFileStore& store, std::shared_ptr<postgres::Database> db, std::string batch_id,
                    std::string kind, std::string file_id)
      : store_(store),
        db_(std::move(db)),
        batch_id_(std::move(batch_id)),
        kind_(std::move(kind)),
        file_id_(std::move(file_id)) {}

  std::size_t recover(std::unordered_set<std::string>& done) override;

  void append(std::string_view custom_id, std::string_view line) override {
    copy_row_.clear();
    postgres::copy_field(copy_row_, batch_id_);
    copy_row_ += '\t';
    postgres::copy_field(copy_row_, kind_);
    copy_row_ += '\t';
    postgres::copy_field(copy_row_, custom_id);
    copy_row_ += '\t';
    postgres::copy_field(copy_row_, line);
    copy_row_ += '\n';
    pending_ += copy_row_;
  }

  /// One COPY for every line since the last flush.
  void flush() override {
    if (pending_.empty()) return;
    db_->session([&](Session& s) -> asio::awaitable<void> {
      co_await s.copy("COPY openai_batch_lines (batch_id, kind, custom_id, line) FROM STDIN", pending_);
    });
    pending_.clear();
  }

  /// The lines become chunks of about 1 MiB (each line whole in one chunk), the file record is
  /// written and the lines deleted, all in one transaction.
  bool publish(const std::string& owner, const std::string& filename) override {
    flush();
    const auto created = std::to_string(unix_seconds());
    return db_->transaction([&](Session& s) -> asio::awaitable<bool> {
      auto existing = co_await s.query("SELECT 1 FROM openai_files WHERE id = $1", file_id_);
      if (existing.size() > 0) co_return true;
      auto chunks = co_await s.query(
          "INSERT INTO openai_file_chunks (file_id, seq, data) "
          "SELECT $3, chunk, convert_to(string_agg(line, '' ORDER BY seq), 'UTF8') FROM ("
          "  SELECT line, seq, ((sum(octet_length(line)) OVER (ORDER BY seq) - octet_length(line)) / 1048576)::int4 "
          "    AS chunk FROM openai_batch_lines WHERE batch_id = $1 AND kind = $2) lines GROUP BY chunk",
          batch_id_, kind_, file_id_);
      if (chunks.affected() == 0) co_return false;
      co_await s.query(
          "INSERT INTO openai_files (id, owner, purpose, filename, bytes, created_at) "
          "SELECT $1, $2, 'batch_output', $3, coalesce(sum(octet_length(data)), 0), $4::int8 "
          "FROM openai_file_chunks WHERE file_id = $1",
          file_id_, owner, filename, created);
      co_await s.query("DELETE FROM openai_batch_lines WHERE batch_id = $1 AND kind = $2", batch_id_, kind_);
      co_return true;
    });
  }

  bool is_published() override {
    return db_->session([&](Session& s) -> asio::awaitable<bool> {
      auto rows = co_await s.query("SELECT 1 FROM openai_files WHERE id = $1", file_id_);
      co_return rows.size() > 0;
    });
  }

 private:
  PostgresFileStore& store_;
  std::shared_ptr<postgres::Database> db_;
  std::string batch_id_, kind_, file_id_;
  std::string pending_;   // COPY rows not yet sent
  std::string copy_row_;  // one row being escaped
};

class PostgresFileStore final : public FileStore {
 public:
  explicit PostgresFileStore(std::shared_ptr<postgres::Database> db) : db_(std::move(db)) {
    db_->migrate("openai_files", std::vector<std::string_view>{kSchemaV1});
  }

  /// The chunks first, a few per transaction, then the record: a file has an id only once all
  /// of it is stored (a crash half-way leaves chunks no record names).
  StoredFile create(std::string owner, std::string purpose, std::string filename, std::string_view content) override {
    StoredFile file{new_id(), std::move(owner), std::move(purpose), std::move(filename),
                    static_cast<std::int64_t>(content.size()), unix_seconds()};
    const std::size_t chunks = (content.size() + kChunk - 1) / kChunk;
    for (std::size_t first = 0; first < chunks; first += kChunksPerTransaction) {
      db_->transaction([&](Session& s) -> asio::awaitable<void> {
        for (std::size_t i = first; i < std::min(chunks, first + kChunksPerTransaction); ++i) {
          auto seq = std::to_string(i);
          auto bytes = Param::bytes(content.substr(i * kChunk, kChunk));
          co_await s.query("INSERT INTO openai_file_chunks (file_id, seq, data) VALUES ($1, $2::int4, $3)", file.id,
                           seq, bytes);
        }
      });
    }
    const auto size = std::to_string(file.bytes), created = std::to_string(file.created_at);
    db_->session([&](Session& s) -> asio::awaitable<void> {
      co_await s.query(
          "INSERT INTO openai_files (id, owner, purpose, filename, bytes, created_at) "
          "VALUES ($1, $2, $3, $4, $5::int8, $6::int8)",
          file.id, file.owner, file.purpose, file.filename, size, created);
    });
    return file;
  }

  std::optional<StoredFile> get(const std::string& id, const std::string& owner) override {
    return db_->session([&](Session& s) -> asio::awaitable<std::optional<StoredFile>> {
      auto rows = co_await s.query(std::string(kColumns) + " WHERE id = $1 AND owner = $2", id, owner);
      if (rows.size() == 0) co_return std::nullopt;
      co_return read_file(rows, 0);
    });
  }

  FileListing list(const std::string& owner, const std::string& purpose, const std::string& after,
                   std::size_t limit) override {
    const auto count = std::to_string(limit + 1);
    return db_->session([&](Session& s) -> asio::awaitable<FileListing> {
      auto rows = co_await s.query(
          std::string(kColumns) +
              " WHERE owner = $1 AND ($2 = '' OR purpose = $2) AND "
              "($3 = '' OR key < (SELECT key FROM openai_files WHERE id = $3)) ORDER BY key DESC LIMIT $4::int8",
          owner, purpose, after, count);
      FileListing listing;
      for (int i = 0; i < rows.size(); ++i) listing.files.push_back(read_file(rows, i));
      if (listing.files.size() > limit) {
        listing.files.pop_back();
        listing.has_more = true;
      }
      co_return listing;
    });
  }

  /// Record and bytes together. Unlike a local file, a batch still reading it stops (its
  /// reader finds the next chunk gone and says so).
  bool remove(const std::string& id, const std::string& owner) override {
    return db_->transaction([&](Session& s) -> asio::awaitable<bool> {
      auto erased = co_await s.query("DELETE FROM openai_files WHERE id = $1 AND owner = $2", id, owner);
      if (erased.affected() == 0) co_return false;
      co_await s.query("DELETE FROM openai_file_chunks WHERE file_id = $1", id);
      co_return true;
    });
  }

  std::unique_ptr<std::istream> open(const std::string& id) override {
    auto bytes = db_->session([&](Session& s) -> asio::awaitable<std::optional<std::int64_t>> {
      auto rows = co_await s.query("SELECT bytes FROM openai_files WHERE id = $1", id);
      if (rows.size() == 0) co_return std::nullopt;
      co_return rows.integer(0, 0);
    });
    if (!bytes) return nullptr;
    return std::make_unique<ChunkStream>(db_, id, *bytes);
  }

  std::unique_ptr<ResultLog> results(const std::string& batch_id, std::string_view kind,
                                     const std::string& file_id) override {
    return std::make_unique<PostgresResultLog>(*this, db_, batch_id, std::string(kind), file_id);
  }

 private:
  std::shared_ptr<postgres::Database> db_;
};

/// From the published file if there is one (finalising was cut short), else from the lines.
std::size_t PostgresResultLog::recover(std::unordered_set<std::string>& done) {
  std::size_t count = 0;
  if (auto file = store_.open(file_id_)) {
    std::string line;
    while (std::getline(*file, line)) {
      boost::system::error_code ec;
      auto value = json::parse(line, ec);
      const json::value* id = !ec && value.is_object() ? value.as_object().if_contains("custom_id") : nullptr;
      if (!id || !id->is_string()) continue;
      done.emplace(id->as_string());
      ++count;
    }
    return count;
  }
  auto rows = db_->session([&](Session& s) -> asio::awaitable<Rows> {
    auto lines = co_await s.query("SELECT custom_id FROM openai_batch_lines WHERE batch_id = $1 AND kind = $2",
                                  batch_id_, kind_);
    co_return lines;
  });
  for (int i = 0; i < rows.size(); ++i) done.emplace(rows.text(i, 0));
  return static_cast<std::size_t>(rows.size());
}

}  // namespace

std::shared_ptr<FileStore> open_postgres_file_store(std::shared_ptr<postgres::Database> database) {
  return std::make_shared<PostgresFileStore>(std::move(database));
}

}  // namespace sluice::ai::batches
