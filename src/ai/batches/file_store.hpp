#pragma once
// The files of /v1/files: bytes under <data_dir>/files/, metadata in SQLite
// (<data_dir>/openai.db), each file owned by the API key that uploaded it. Calls block on disk:
// run them on a storage pool, never on an IO thread. Thread-safe (one connection, one mutex).

#include <boost/json/object.hpp>

#include <cstdint>
#include <filesystem>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace sluice::sqlite {
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

class FileStore {
 public:
  explicit FileStore(const std::filesystem::path& data_dir);
  ~FileStore();

  /// Writes `content` to a new file (temporary name, then renamed: a crash leaves no half file
  /// under a file id) and records it.
  StoredFile create(std::string owner, std::string purpose, std::string filename, std::string_view content);
  /// Records a file whose bytes are already at path(id) (batch output); replaces a record of
  /// the same id, so finalising twice is harmless.
  StoredFile adopt(const std::string& id, std::string owner, std::string purpose, std::string filename);
  /// nullopt when the file does not exist or belongs to another owner.
  std::optional<StoredFile> get(const std::string& id, const std::string& owner);
  /// Newest first; `purpose` empty: any; `after`: the files older than that id.
  FileListing list(const std::string& owner, const std::string& purpose, const std::string& after, std::size_t limit);
  /// False when there was no such file of `owner`.
  bool remove(const std::string& id, const std::string& owner);

  /// Where a file's bytes are.
  std::filesystem::path path(const std::string& id) const { return directory_ / id; }
  const std::filesystem::path& directory() const { return directory_; }

  static std::string new_id();

 private:
  std::filesystem::path directory_;
  std::mutex mutex_;  // guards db_
  std::unique_ptr<sqlite::Database> db_;
};

}  // namespace sluice::ai::batches
