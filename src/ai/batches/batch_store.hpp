#pragma once
// The batches of /v1/batches: each stored as OpenAI's batch object (JSON) with its owner. The
// routes and the batch job (in `sluice serve` or a `sluice worker`) both read and write it;
// every change is a read-modify-write in one transaction, so a cancel and a progress update
// never lose each other. Two implementations: SQLite (<data_dir>/openai.db, beside the local
// files) and PostgreSQL (shared by several nodes). Calls block: storage pool or job threads
// only. Thread-safe.

#include <boost/json/object.hpp>

#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace sluice::postgres {
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
  virtual ~BatchStore() = default;

  virtual void create(const std::string& owner, const boost::json::object& batch) = 0;
  /// Any owner's batch (for the job that runs it).
  virtual std::optional<StoredBatch> get(const std::string& id) = 0;
  /// Newest first; `after`: the batches older than that id.
  virtual BatchListing list(const std::string& owner, const std::string& after, std::size_t limit) = 0;
  /// Applies `change` to the stored object in one transaction and returns the result; nullopt
  /// when there is no such batch. `change` may run more than once (a retried transaction).
  virtual std::optional<boost::json::object> update(const std::string& id,
                                                    const std::function<void(boost::json::object&)>& change) = 0;

  static std::string new_id();
};

std::shared_ptr<BatchStore> open_sqlite_batch_store(const std::filesystem::path& data_dir);
std::shared_ptr<BatchStore> open_postgres_batch_store(std::shared_ptr<postgres::Database> database);

}  // namespace sluice::ai::batches
