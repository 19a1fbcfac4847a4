#include "batch_store.hpp"

#include "sluice/core/json_text.hpp"
#include "sqlite/sqlite.hpp"

#include <fmt/format.h>
#include <boost/json/parse.hpp>

#include <mutex>
#include <random>

namespace sluice::ai::batches {

namespace json = boost::json;

std::string BatchStore::new_id() {
  thread_local std::mt19937_64 random{std::random_device{}()};
  return fmt::format("batch_{:016x}{:08x}", random(), static_cast<std::uint32_t>(random()));
}

namespace {

class SqliteBatchStore final : public BatchStore {
 public:
  explicit SqliteBatchStore(const std::filesystem::path& data_dir) {
    std::filesystem::create_directories(data_dir);
    db_ = std::make_unique<sqlite::Database>((data_dir / "openai.db").string());
    db_->exec("PRAGMA journal_mode=WAL");
    db_->exec("PRAGMA synchronous=NORMAL");
    db_->exec("CREATE TABLE IF NOT EXISTS batches (id TEXT PRIMARY KEY, owner TEXT NOT NULL, body TEXT NOT NULL)");
  }

  void create(const std::string& owner, const json::object& batch) override {
    std::lock_guard lock(mutex_);
    sqlite::Statement insert(db_->handle(), "INSERT INTO batches (id, owner, body) VALUES (?, ?, ?)");
    insert.bind(1, std::string_view(batch.at("id").as_string())).bind(2, owner).bind(3, core::json_text(batch)).run();
  }

  std::optional<StoredBatch> get(const std::string& id) override {
    std::lock_guard lock(mutex_);
    sqlite::Statement select(db_->handle(), "SELECT owner, body FROM batches WHERE id = ?");
    select.bind(1, id);
    if (!select.step()) return std::nullopt;
    return StoredBatch{select.text(0), json::parse(select.text(1)).as_object()};
  }

  BatchListing list(const std::string& owner, const std::string& after, std::size_t limit) override {
    std::lock_guard lock(mutex_);
    sqlite::Statement select(
        db_->handle(),
        "SELECT body FROM batches WHERE owner = ?1 AND "
        "(?2 = '' OR rowid < (SELECT rowid FROM batches WHERE id = ?2)) ORDER BY rowid DESC LIMIT ?3");
    select.bind(1, owner).bind(2, after).bind(3, static_cast<std::int64_t>(limit + 1));
    BatchListing listing;
    while (select.step()) listing.batches.push_back(json::parse(select.text(0)).as_object());
    if (listing.batches.size() > limit) {
      listing.batches.pop_back();
      listing.has_more = true;
    }
    return listing;
  }

  std::optional<json::object> update(const std::string& id,
                                     const std::function<void(json::object&)>& change) override {
    std::lock_guard lock(mutex_);
    sqlite::Transaction transaction(*db_);
    sqlite::Statement select(db_->handle(), "SELECT body FROM batches WHERE id = ?");
    select.bind(1, id);
    if (!select.step()) return std::nullopt;
    auto batch = json::parse(select.text(0)).as_object();
    change(batch);
    sqlite::Statement write(db_->handle(), "UPDATE batches SET body = ? WHERE id = ?");
    write.bind(1, core::json_text(batch)).bind(2, id).run();
    transaction.commit();
    return batch;
  }

 private:
  std::mutex mutex_;  // guards db_
  std::unique_ptr<sqlite::Database> db_;
};

}  // namespace

std::shared_ptr<BatchStore> open_sqlite_batch_store(const std::filesystem::path& data_dir) {
  return std::make_shared<SqliteBatchStore>(data_dir);
}

}  // namespace sluice::ai::batches
