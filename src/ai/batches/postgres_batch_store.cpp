// Batches on PostgreSQL, shared by every node and worker; an update locks the row (FOR UPDATE)
// for its read-modify-write, so a cancel on one node and a progress update on a worker never
// lose each other.

#include "batch_store.hpp"

#include "sluice/core/json_text.hpp"
#include "sluice/postgres/database.hpp"

#include <boost/json/parse.hpp>

namespace sluice::ai::batches {

namespace asio = boost::asio;
namespace json = boost::json;
using postgres::Rows;
using postgres::Session;

namespace {

// Version 1. `key` orders listings (newest first).
constexpr std::string_view kSchemaV1 = R"sql(
CREATE TABLE openai_batches (
  key bigserial PRIMARY KEY,
  id text NOT NULL UNIQUE,
  owner text NOT NULL,
  body text NOT NULL);
CREATE INDEX openai_batches_owner ON openai_batches(owner, key);
)sql";

class PostgresBatchStore final : public BatchStore {
 public:
  explicit PostgresBatchStore(std::shared_ptr<postgres::Database> db) : db_(std::move(db)) {
    db_->migrate("openai_batches", std::vector<std::string_view>{kSchemaV1});
  }

  void create(const std::string& owner, const json::object& batch) override {
    const std::string id(batch.at("id").as_string());
    const auto body = core::json_text(batch);
    db_->session([&](Session& s) -> asio::awaitable<void> {
      co_await s.query("INSERT INTO openai_batches (id, owner, body) VALUES ($1, $2, $3)", id, owner, body);
    });
  }

  std::optional<StoredBatch> get(const std::string& id) override {
    return db_->session([&](Session& s) -> asio::awaitable<std::optional<StoredBatch>> {
      auto rows = co_await s.query("SELECT owner, body FROM openai_batches WHERE id = $1", id);
      if (rows.size() == 0) co_return std::nullopt;
      co_return StoredBatch{std::string(rows.text(0, 0)), json::parse(rows.text(0, 1)).as_object()};
    });
  }

  BatchListing list(const std::string& owner, const std::string& after, std::size_t limit) override {
    const auto count = std::to_string(limit + 1);
    return db_->session([&](Session& s) -> asio::awaitable<BatchListing> {
      auto rows = co_await s.query(
          "SELECT body FROM openai_batches WHERE owner = $1 AND "
          "($2 = '' OR key < (SELECT key FROM openai_batches WHERE id = $2)) ORDER BY key DESC LIMIT $3::int8",
          owner, after, count);
      BatchListing listing;
      for (int i = 0; i < rows.size(); ++i) listing.batches.push_back(json::parse(rows.text(i, 0)).as_object());
      if (listing.batches.size() > limit) {
        listing.batches.pop_back();
        listing.has_more = true;
      }
      co_return listing;
    });
  }

  std::optional<json::object> update(const std::string& id,
                                     const std::function<void(json::object&)>& change) override {
    return db_->transaction([&](Session& s) -> asio::awaitable<std::optional<json::object>> {
      auto rows = co_await s.query("SELECT body FROM openai_batches WHERE id = $1 FOR UPDATE", id);
      if (rows.size() == 0) co_return std::nullopt;
      auto batch = json::parse(rows.text(0, 0)).as_object();
      change(batch);
      auto body = core::json_text(batch);
      co_await s.query("UPDATE openai_batches SET body = $1 WHERE id = $2", body, id);
      co_return batch;
    });
  }

 private:
  std::shared_ptr<postgres::Database> db_;
};

}  // namespace

std::shared_ptr<BatchStore> open_postgres_batch_store(std::shared_ptr<postgres::Database> database) {
  return std::make_shared<PostgresBatchStore>(std::move(database));
}

}  // namespace sluice::ai::batches
