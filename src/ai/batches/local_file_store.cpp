// Files on one machine: bytes under <data_dir>/files/, metadata in SQLite (<data_dir>/openai.db).
// A batch's results grow in a partial file beside them, renamed to the file id when published.

#include "file_store.hpp"

#include "sqlite/sqlite.hpp"

#include <fmt/format.h>
#include <boost/json/parse.hpp>

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <fstream>
#include <mutex>
#include <stdexcept>
#include <system_error>

namespace sluice::ai::batches {

namespace fs = std::filesystem;
namespace json = boost::json;

namespace {

std::int64_t unix_seconds() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

StoredFile read_row(const sqlite::Statement& row) {
  return {row.text(0), row.text(1), row.text(2), row.text(3), row.integer(4), row.integer(5)};
}

constexpr std::string_view kColumns = "id, owner, purpose, filename, bytes, created_at";

/// A result file that only grows by whole lines: one write() per line, so a process killed
/// mid-write leaves at most a torn last line, which recover() cuts off.
class PartialFile {
 public:
  explicit PartialFile(const fs::path& path)
      : fd_(::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644)) {
    if (fd_ < 0) throw std::runtime_error("cannot open " + path.string() + ": " + std::strerror(errno));
  }
  ~PartialFile() { ::close(fd_); }
  PartialFile(const PartialFile&) = delete;
  PartialFile& operator=(const PartialFile&) = delete;

  void append(std::string_view line) {
    while (!line.empty()) {
      auto n = ::write(fd_, line.data(), line.size());
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) throw std::runtime_error(std::string("cannot write a batch result: ") + std::strerror(errno));
      line.remove_prefix(static_cast<std::size_t>(n));
    }
  }

 private:
  int fd_;
};

class LocalFileStore;

class LocalResultLog final : public ResultLog {
 public:
  LocalResultLog(LocalFileStore& store, fs::path partial, std::string file_id)
      : store_(store), partial_(std::move(partial)), file_id_(std::move(file_id)) {}

  std::size_t recover(std::unordered_set<std::string>& done) override;
  void append(std::string_view /*custom_id*/, std::string_view line) override {
    if (!file_) file_ = std::make_unique<PartialFile>(partial_);
    file_->append(line);
  }
  void flush() override {}  // every line is written as it comes
  bool publish(const std::string& owner, const std::string& filename) override;
  bool is_published() override;

 private:
  LocalFileStore& store_;
  fs::path partial_;
  std::string file_id_;
  std::unique_ptr<PartialFile> file_;
};

class LocalFileStore final : public FileStore {
 public:
  explicit LocalFileStore(const fs::path& data_dir) : directory_(data_dir / "files") {
    fs::create_directories(directory_);
    db_ = std::make_unique<sqlite::Database>((data_dir / "openai.db").string());
    db_->exec("PRAGMA journal_mode=WAL");
    db_->exec("PRAGMA synchronous=NORMAL");
    db_->exec(
        "CREATE TABLE IF NOT EXISTS files (id TEXT PRIMARY KEY, owner TEXT NOT NULL, purpose TEXT NOT NULL, "
        "filename TEXT NOT NULL, bytes INTEGER NOT NULL, created_at INTEGER NOT NULL)");
  }

  /// Written under a temporary name, then renamed: a crash leaves no half file under a file id.
  StoredFile create(std::string owner, std::string purpose, std::string filename, std::string_view content) override {
    auto id = new_id();
    auto temporary = directory_ / (id + ".upload");
    {
      std::ofstream out(temporary, std::ios::binary | std::ios::trunc);
      out.write(content.data(), static_cast<std::streamsize>(content.size()));
      out.close();
      if (!out) {
        std::error_code ignored;
        fs::remove(temporary, ignored);
        throw std::runtime_error("cannot write " + temporary.string());
      }
    }
    fs::rename(temporary, path(id));
    return adopt(id, std::move(owner), std::move(purpose), std::move(filename));
  }

  std::optional<StoredFile> get(const std::string& id, const std::string& owner) override {
    std::lock_guard lock(mutex_);
    sqlite::Statement select(db_->handle(), fmt::format("SELECT {} FROM files WHERE id = ? AND owner = ?", kColumns));
    select.bind(1, id).bind(2, owner);
    if (!select.step()) return std::nullopt;
    return read_row(select);
  }

  FileListing list(const std::string& owner, const std::string& purpose, const std::string& after,
                   std::size_t limit) override {
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

  bool remove(const std::string& id, const std::string& owner) override {
    {
      std::lock_guard lock(mutex_);
      sqlite::Statement erase(db_->handle(), "DELETE FROM files WHERE id = ? AND owner = ?");
      if (erase.bind(1, id).bind(2, owner).run() == 0) return false;
    }
    // A batch reading this file keeps its open descriptor: unlinking does not cut it short.
    std::error_code ignored;
    fs::remove(path(id), ignored);
    return true;
  }

  std::unique_ptr<std::istream> open(const std::string& id) override {
    auto file = std::make_unique<std::ifstream>(path(id), std::ios::binary);
    if (!*file) return nullptr;
    return file;
  }

  std::unique_ptr<ResultLog> results(const std::string& batch_id, std::string_view kind,
                                     const std::string& file_id) override {
    return std::make_unique<LocalResultLog>(*this, directory_ / fmt::format("{}.{}.partial", batch_id, kind),
                                            file_id);
  }

  /// Records a file whose bytes are already at path(id); replaces a record of the same id, so
  /// publishing twice is harmless.
  StoredFile adopt(const std::string& id, std::string owner, std::string purpose, std::string filename) {
    StoredFile file{id,
                    std::move(owner),
                    std::move(purpose),
                    std::move(filename),
                    static_cast<std::int64_t>(fs::file_size(path(id))),
                    unix_seconds()};
    std::lock_guard lock(mutex_);
    sqlite::Statement insert(db_->handle(),
                             "INSERT OR REPLACE INTO files (id, owner, purpose, filename, bytes, created_at) "
                             "VALUES (?, ?, ?, ?, ?, ?)");
    insert.bind(1, file.id).bind(2, file.owner).bind(3, file.purpose).bind(4, file.filename);
    insert.bind(5, file.bytes).bind(6, file.created_at).run();
    return file;
  }

  fs::path path(const std::string& id) const { return directory_ / id; }

 private:
  fs::path directory_;
  std::mutex mutex_;  // guards db_
  std::unique_ptr<sqlite::Database> db_;
};

std::size_t LocalResultLog::recover(std::unordered_set<std::string>& done) {
  // Results so far: in the partial file, or in the published one if finalising was cut short.
  const auto path = fs::exists(partial_) ? partial_ : store_.path(file_id_);
  std::ifstream in(path, std::ios::binary);
  if (!in) return 0;
  std::string line;
  std::uintmax_t whole = 0;  // bytes of the whole lines
  std::size_t count = 0;
  while (std::getline(in, line)) {
    if (in.eof()) break;  // no newline: the write was cut short
    boost::system::error_code ec;
    auto value = json::parse(line, ec);
    const json::value* id = !ec && value.is_object() ? value.as_object().if_contains("custom_id") : nullptr;
    if (!id || !id->is_string()) break;
    done.emplace(id->as_string());
    whole += line.size() + 1;
    ++count;
  }
  in.close();
  if (fs::file_size(path) != whole) fs::resize_file(path, whole);
  return count;
}

bool LocalResultLog::publish(const std::string& owner, const std::string& filename) {
  file_.reset();
  const auto published = store_.path(file_id_);
  if (fs::exists(partial_)) {
    if (fs::file_size(partial_) == 0) {
      fs::remove(partial_);
      return false;
    }
    fs::rename(partial_, published);
  }
  if (!fs::exists(published)) return false;
  store_.adopt(file_id_, owner, "batch_output", filename);
  return true;
}

bool LocalResultLog::is_published() { return fs::exists(store_.path(file_id_)); }

}  // namespace

std::shared_ptr<FileStore> open_local_file_store(const fs::path& data_dir) {
  return std::make_shared<LocalFileStore>(data_dir);
}

}  // namespace sluice::ai::batches
