#pragma once
// The batches of /v1/batches: each stored as OpenAI's batch object (JSON) with its owner, in
// <data_dir>/openai.db beside the files. The routes and the batch job (in `sluice serve` or a
// `sluice worker` sharing the data directory) both read and write it; every change is a
// read-modify-write in one transaction, so a cancel and a progress update never lose each
// other. Calls block on disk: storage pool or worker threads only. Thread-safe.

#include <boost/json/object.hpp>

#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

namespace sluice::sqlite {
class Database;
}

namespace sluice::ai::batches {

struct StoredBatch {
  std::string owner;
  boost::json::object batch;  // OpenAI's batch object
};

struct BatchListing {
  std::vector<boost::json::object> batches;
  bool has_more = false;
};

class BatchStore {
 public:
  explicit BatchStore(const std::filesystem::path& data_dir);
  ~BatchStore();

  void create(const std::string& owner, const boost::json::object& batch);
  /// Any owner's batch (for the job that runs it).
  std::optional<StoredBatch> get(const std::string& id);
  /// Newest first; `after`: the batches older than that id.
  BatchListing list(const std::string& owner, const std::string& after, std::size_t limit);
  /// Applies `change` to the stored object in one transaction and returns the result; nullopt
  /// when there is no such batch.
  std::optional<boost::json::object> update(const std::string& id,
                                            const std::function<void(boost::json::object&)>& change);

  static std::string new_id();

 private:
  std::mutex mutex_;  // guards db_
  std::unique_ptr<sqlite::Database> db_;
};

}  // namespace sluice::ai::batches
