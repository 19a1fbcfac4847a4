#pragma once
// The files of /v1/files, each owned by the API key that uploaded it, and the result logs a
// batch writes its output and error lines to until they become files. Two implementations:
// local (bytes under <data_dir>/files/, metadata in SQLite) for one machine, PostgreSQL (bytes
// in a table of chunks) for several nodes. Calls block on disk or on the database: run them on
// a storage pool or a job thread, never on an IO thread. Thread-safe.

#include <boost/json/object.hpp>

#include <cstdint>
#include <filesystem>
#include <istream>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

namespace sluice::postgres {
class Database;
}

namespace sluice::ai::batches {

struct StoredFile {
  std::string id;  // "file-<hex>"
  std::string owner;
  std::string purpose;
  std::string filename;
  std::int64_t bytes = 0;
  std::int64_t created_at = 0;  // unix seconds

  /// OpenAI's file object.
  boost::json::object to_json() const;
};

struct FileListing {
  std::vector<StoredFile> files;
  bool has_more = false;
};

/// The lines one batch has written to its output (or error) file so far, and the file they
/// become. Lines are whole JSON objects with a `custom_id`, each ending in '\n'. Used from one
/// job thread at a time.
class ResultLog {
 public:
  virtual ~ResultLog() = default;
  /// Reads back the custom_ids already written (from the log, or from the file it became) into
  /// `done`, cutting off a line a crash tore; how many lines there are.
  virtual std::size_t recover(std::unordered_set<std::string>& done) = 0;
  /// Adds the line of `custom_id`; it is durable after the next flush() (a crash before that
  /// runs its request again).
  virtual void append(std::string_view custom_id, std::string_view line) = 0;
  virtual void flush() = 0;
  /// Turns the log into its file, owned by `owner` (an empty log: no file); safe to repeat,
  /// and after a crash half-way. Whether the file exists now.
  virtual bool publish(const std::string& owner, const std::string& filename) = 0;
  /// Whether publish() has already made the file.
  virtual bool is_published() = 0;
};

class FileStore {
 public:
  virtual ~FileStore() = default;

  /// Stores `content` as a new file; a crash leaves no half file under a file id.
  virtual StoredFile create(std::string owner, std::string purpose, std::string filename,
                            std::string_view content) = 0;
  /// nullopt when the file does not exist or belongs to another owner.
  virtual std::optional<StoredFile> get(const std::string& id, const std::string& owner) = 0;
  /// Newest first; `purpose` empty: any; `after`: the files older than that id.
  virtual FileListing list(const std::string& owner, const std::string& purpose, const std::string& after,
                           std::size_t limit) = 0;
  /// False when there was no such file of `owner`.
  virtual bool remove(const std::string& id, const std::string& owner) = 0;
  /// A file's bytes, read in order without holding them all; nullptr when there is no such file.
  virtual std::unique_ptr<std::istream> open(const std::string& id) = 0;
  /// Batch `batch_id`'s log of `kind` ("output" or "errors"), to become file `file_id`.
  virtual std::unique_ptr<ResultLog> results(const std::string& batch_id, std::string_view kind,
                                             const std::string& file_id) = 0;

  static std::string new_id();
};

/// Bytes under <data_dir>/files/, metadata in <data_dir>/openai.db.
std::shared_ptr<FileStore> open_local_file_store(const std::filesystem::path& data_dir);
/// Everything in PostgreSQL: any node serves any file, and a batch resumes on any worker.
std::shared_ptr<FileStore> open_postgres_file_store(std::shared_ptr<postgres::Database> database);

}  // namespace sluice::ai::batches
