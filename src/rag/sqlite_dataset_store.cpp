#include "sluice/rag/dataset_store.hpp"

#include "store_metadata.hpp"

#include "sqlite/sqlite.hpp"

#include <boost/json/parse.hpp>
#include "sluice/core/json_text.hpp"

#include <chrono>
#include <cstdio>
#include <mutex>
#include <unordered_map>

namespace sluice::rag {

namespace json = boost::json;
using sqlite::Database;
using sqlite::Statement;
using sqlite::Transaction;

namespace {

constexpr std::string_view kSchema = R"sql(
CREATE TABLE IF NOT EXISTS datasets (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  name TEXT NOT NULL,
  chunk_size INTEGER NOT NULL,
  chunk_overlap INTEGER NOT NULL,
  embedding_model TEXT NOT NULL,
  owner TEXT NOT NULL DEFAULT '',
  created_at_ms INTEGER NOT NULL,
  last_job_id TEXT NOT NULL DEFAULT '');
CREATE TABLE IF NOT EXISTS documents (
  key INTEGER PRIMARY KEY AUTOINCREMENT,
  dataset INTEGER NOT NULL REFERENCES datasets(id) ON DELETE CASCADE,
  id TEXT NOT NULL,
  title TEXT NOT NULL,
  text TEXT NOT NULL,
  metadata TEXT NOT NULL,
  hash TEXT NOT NULL,
  pending INTEGER NOT NULL,
  UNIQUE (dataset, id));
CREATE INDEX IF NOT EXISTS documents_pending ON documents(dataset, key) WHERE pending = 1;
CREATE TABLE IF NOT EXISTS chunks (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  dataset INTEGER NOT NULL,
  document INTEGER NOT NULL REFERENCES documents(key) ON DELETE CASCADE,
  start INTEGER NOT NULL,
  end INTEGER NOT NULL,
  text TEXT NOT NULL,
  vector BLOB);
CREATE INDEX IF NOT EXISTS chunks_document ON chunks(document);
CREATE INDEX IF NOT EXISTS chunks_dataset ON chunks(dataset, id);
-- The job asks for the next batch to embed; without this index every batch would scan the
-- dataset's embedded chunks first.
CREATE INDEX IF NOT EXISTS chunks_unembedded ON chunks(dataset, id) WHERE vector IS NULL;
)sql";

std::int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

Dataset read_dataset(Statement& s) {
  return Dataset{.id = s.integer(0),
                 .name = s.text(1),
                 .chunk_size = static_cast<std::size_t>(s.integer(2)),
                 .chunk_overlap = static_cast<std::size_t>(s.integer(3)),
                 .embedding_model = s.text(4),
                 .owner = s.text(5),
                 .created_at_ms = s.integer(6),
                 .last_job_id = s.text(7)};
}

constexpr std::string_view kDatasetColumns =
    "SELECT id, name, chunk_size, chunk_overlap, embedding_model, owner, created_at_ms, last_job_id FROM datasets";

std::string id_list(const std::vector<std::int64_t>& ids) {
  std::string list;
  for (auto id : ids) {
    if (!list.empty()) list += ',';
    list += std::to_string(id);
  }
  return list;
}

/// Binds a JSON scalar so that `json_extract(...) IS ?` compares it as SQLite stores it.
void bind_json_scalar(Statement& s, int index, const json::value& value) {
  if (value.is_string()) s.bind(index, std::string_view(value.as_string()));
  else if (value.is_int64()) s.bind(index, value.as_int64());
  else if (value.is_uint64()) s.bind(index, static_cast<std::int64_t>(value.as_uint64()));
  else if (value.is_double()) s.bind(index, value.as_double());
  else if (value.is_bool()) s.bind(index, std::int64_t{value.as_bool() ? 1 : 0});
  else s.bind_null(index);
}

/// A quoted path segment: keys with dots or spaces name one member, not a path.
std::string member_path(std::string_view key) {
  std::string path = "$.\"";
  for (char c : key) {
    if (c == '"' || c == '\\') path += '\\';
    path += c;
  }
  path += '"';
  return path;
}

std::string_view sql_operator(std::string_view op) {
  if (op == "$ne") return "IS NOT";  // as MongoDB: a document without the key matches too
  if (op == "$gt") return ">";
  if (op == "$gte") return ">=";
  if (op == "$lt") return "<";
  if (op == "$lte") return "<=";
  return "IS";  // $eq
}

class SqliteDatasetStore final : public DatasetStore {
 public:
  explicit SqliteDatasetStore(const std::string& path) : db_(path) {
    db_.exec("PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;");
    db_.exec(kSchema);
  }

  Dataset create_dataset(const DatasetSpec& spec) override {
    std::lock_guard lock(mutex_);
    Statement s(db_.handle(),
                "INSERT INTO datasets (name, chunk_size, chunk_overlap, embedding_model, owner, created_at_ms) "
                "VALUES (?, ?, ?, ?, ?, ?)");
    auto created = now_ms();
    s.bind(1, spec.name)
        .bind(2, static_cast<std::int64_t>(spec.chunk_size))
        .bind(3, static_cast<std::int64_t>(spec.chunk_overlap))
        .bind(4, spec.embedding_model)
        .bind(5, spec.owner)
        .bind(6, created)
        .run();
    return Dataset{.id = sqlite3_last_insert_rowid(db_.handle()),
                   .name = spec.name,
                   .chunk_size = spec.chunk_size,
                   .chunk_overlap = spec.chunk_overlap,
                   .embedding_model = spec.embedding_model,
                   .owner = spec.owner,
                   .created_at_ms = created};
  }

  std::optional<Dataset> dataset(std::int64_t id) override {
    std::lock_guard lock(mutex_);
    Statement s(db_.handle(), std::string(kDatasetColumns) + " WHERE id = ?");
    s.bind(1, id);
    if (!s.step()) return std::nullopt;
    return read_dataset(s);
  }

  std::vector<Dataset> datasets(const std::string* owner) override {
    std::lock_guard lock(mutex_);
    Statement s(db_.handle(), std::string(kDatasetColumns) + (owner ? " WHERE owner = ?" : "") + " ORDER BY id");
    if (owner) s.bind(1, *owner);
    std::vector<Dataset> list;
    while (s.step()) list.push_back(read_dataset(s));
    return list;
  }

  DatasetCounts counts(std::int64_t id) override {
    std::lock_guard lock(mutex_);
    DatasetCounts counts;
    auto count = [&](std::string_view sql) {
      Statement s(db_.handle(), sql);
      s.bind(1, id);
      s.step();
      return s.integer(0);
    };
    counts.documents = count("SELECT count(*) FROM documents WHERE dataset = ?");
    counts.pending_documents = count("SELECT count(*) FROM documents WHERE dataset = ? AND pending = 1");
    counts.chunks = count("SELECT count(*) FROM chunks WHERE dataset = ?");
    counts.indexed_chunks = counts.chunks - count("SELECT count(*) FROM chunks WHERE dataset = ? AND vector IS NULL");
    return counts;
  }

  bool delete_dataset(std::int64_t id) override {
    std::lock_guard lock(mutex_);
    Transaction transaction(db_);
    Statement(db_.handle(), "DELETE FROM chunks WHERE dataset = ?").bind(1, id).run();
    Statement(db_.handle(), "DELETE FROM documents WHERE dataset = ?").bind(1, id).run();
    bool existed = Statement(db_.handle(), "DELETE FROM datasets WHERE id = ?").bind(1, id).run() > 0;
    transaction.commit();
    return existed;
  }

  void set_last_job(std::int64_t id, const std::string& job_id) override {
    std::lock_guard lock(mutex_);
    Statement(db_.handle(), "UPDATE datasets SET last_job_id = ? WHERE id = ?").bind(1, job_id).bind(2, id).run();
  }

  UpsertResult upsert_documents(std::int64_t dataset, const std::vector<DocumentInput>& documents) override {
    std::lock_guard lock(mutex_);
    UpsertResult result;
    Transaction transaction(db_);
    Statement find(db_.handle(), "SELECT key, hash FROM documents WHERE dataset = ? AND id = ?");
    Statement old_chunks(db_.handle(), "SELECT id FROM chunks WHERE document = ?");
    Statement drop_chunks(db_.handle(), "DELETE FROM chunks WHERE document = ?");
    Statement update(db_.handle(),
                     "UPDATE documents SET title = ?, text = ?, metadata = ?, hash = ?, pending = 1 WHERE key = ?");
    Statement insert(db_.handle(),
                     "INSERT INTO documents (dataset, id, title, text, metadata, hash, pending) "
                     "VALUES (?, ?, ?, ?, ?, ?, 1)");
    for (const auto& document : documents) {
      auto hash = content_hash(document);
      auto metadata = core::json_text(document.metadata);
      find.reset();
      find.bind(1, dataset).bind(2, document.id);
      if (find.step()) {
        auto key = find.integer(0);
        if (find.text(1) == hash) {
          ++result.unchanged;
          continue;
        }
        old_chunks.reset();
        old_chunks.bind(1, key);
        while (old_chunks.step()) result.removed_chunks.push_back(old_chunks.integer(0));
        drop_chunks.reset();
        drop_chunks.bind(1, key).run();
        update.reset();
        update.bind(1, document.title).bind(2, document.text).bind(3, metadata).bind(4, hash).bind(5, key).run();
        ++result.updated;
      } else {
        insert.reset();
        insert.bind(1, dataset)
            .bind(2, document.id)
            .bind(3, document.title)
            .bind(4, document.text)
            .bind(5, metadata)
            .bind(6, hash)
            .run();
        ++result.added;
      }
    }
    transaction.commit();
    return result;
  }

  std::vector<Document> documents(std::int64_t dataset, std::size_t limit, std::size_t offset) override {
    std::lock_guard lock(mutex_);
    Statement s(db_.handle(),
                "SELECT d.key, d.id, d.title, d.metadata, d.hash, d.pending, "
                "(SELECT count(*) FROM chunks c WHERE c.document = d.key) "
                "FROM documents d WHERE d.dataset = ? ORDER BY d.key LIMIT ? OFFSET ?");
    s.bind(1, dataset).bind(2, static_cast<std::int64_t>(limit)).bind(3, static_cast<std::int64_t>(offset));
    std::vector<Document> list;
    while (s.step())
      list.push_back(Document{.key = s.integer(0),
                              .id = s.text(1),
                              .title = s.text(2),
                              .metadata = parse_metadata(s.text(3)),
                              .content_hash = s.text(4),
                              .is_pending = s.integer(5) != 0,
                              .chunks = s.integer(6)});
    return list;
  }

  std::optional<Document> document(std::int64_t dataset, const std::string& id) override {
    std::lock_guard lock(mutex_);
    Statement s(db_.handle(),
                "SELECT d.key, d.id, d.title, d.text, d.metadata, d.hash, d.pending, "
                "(SELECT count(*) FROM chunks c WHERE c.document = d.key) "
                "FROM documents d WHERE d.dataset = ? AND d.id = ?");
    s.bind(1, dataset).bind(2, id);
    if (!s.step()) return std::nullopt;
    return Document{.key = s.integer(0),
                    .id = s.text(1),
                    .title = s.text(2),
                    .text = s.text(3),
                    .metadata = parse_metadata(s.text(4)),
                    .content_hash = s.text(5),
                    .is_pending = s.integer(6) != 0,
                    .chunks = s.integer(7)};
  }

  std::optional<std::vector<std::int64_t>> delete_document(std::int64_t dataset, const std::string& id) override {
    std::lock_guard lock(mutex_);
    Transaction transaction(db_);
    Statement find(db_.handle(), "SELECT key FROM documents WHERE dataset = ? AND id = ?");
    find.bind(1, dataset).bind(2, id);
    if (!find.step()) return std::nullopt;
    auto key = find.integer(0);
    std::vector<std::int64_t> removed;
    Statement chunks(db_.handle(), "SELECT id FROM chunks WHERE document = ?");
    chunks.bind(1, key);
    while (chunks.step()) removed.push_back(chunks.integer(0));
    Statement(db_.handle(), "DELETE FROM chunks WHERE document = ?").bind(1, key).run();
    Statement(db_.handle(), "DELETE FROM documents WHERE key = ?").bind(1, key).run();
    transaction.commit();
    return removed;
  }

  std::vector<Document> pending_documents(std::int64_t dataset, std::size_t limit) override {
    std::lock_guard lock(mutex_);
    Statement s(db_.handle(),
                "SELECT key, id, title, text, hash FROM documents WHERE dataset = ? AND pending = 1 "
                "ORDER BY key LIMIT ?");
    s.bind(1, dataset).bind(2, static_cast<std::int64_t>(limit));
    std::vector<Document> list;
    while (s.step())
      list.push_back(Document{
          .key = s.integer(0), .id = s.text(1), .title = s.text(2), .text = s.text(3), .content_hash = s.text(4)});
    return list;
  }

  std::vector<Chunk> store_chunks(std::int64_t dataset,
                                  const std::vector<std::pair<Document, std::vector<ChunkDraft>>>& chunked) override {
    std::lock_guard lock(mutex_);
    std::vector<Chunk> stored;
    Transaction transaction(db_);
    Statement mark(db_.handle(), "UPDATE documents SET pending = 0 WHERE key = ? AND hash = ? AND pending = 1");
    Statement insert(db_.handle(),
                     "INSERT INTO chunks (dataset, document, start, end, text) VALUES (?, ?, ?, ?, ?)");
    for (const auto& [document, drafts] : chunked) {
      mark.reset();
      if (mark.bind(1, document.key).bind(2, document.content_hash).run() == 0) continue;  // changed meanwhile
      for (const auto& draft : drafts) {
        insert.reset();
        insert.bind(1, dataset)
            .bind(2, document.key)
            .bind(3, static_cast<std::int64_t>(draft.start))
            .bind(4, static_cast<std::int64_t>(draft.end))
            .bind(5, draft.text)
            .run();
        stored.push_back(Chunk{.id = sqlite3_last_insert_rowid(db_.handle()),
                               .document_key = document.key,
                               .start = draft.start,
                               .end = draft.end,
                               .text = draft.text,
                               .title = document.title});
      }
    }
    transaction.commit();
    return stored;
  }

  std::vector<Chunk> unembedded_chunks(std::int64_t dataset, std::size_t limit) override {
    std::lock_guard lock(mutex_);
    Statement s(db_.handle(),
                "SELECT c.id, c.document, c.start, c.end, c.text, d.title FROM chunks c "
                "JOIN documents d ON d.key = c.document WHERE c.dataset = ? AND c.vector IS NULL "
                "ORDER BY c.id LIMIT ?");
    s.bind(1, dataset).bind(2, static_cast<std::int64_t>(limit));
    std::vector<Chunk> list;
    while (s.step()) list.push_back(read_chunk(s));
    return list;
  }

  void store_vectors(std::int64_t dataset,
                     const std::vector<std::pair<std::int64_t, std::vector<float>>>& vectors) override {
    std::lock_guard lock(mutex_);
    Transaction transaction(db_);
    Statement s(db_.handle(), "UPDATE chunks SET vector = ? WHERE id = ? AND dataset = ?");
    for (const auto& [id, vector] : vectors) {
      s.reset();
      s.bind_blob(1, vector.data(), vector.size() * sizeof(float)).bind(2, id).bind(3, dataset).run();
    }
    transaction.commit();
  }

  void for_each_chunk(std::int64_t dataset, const std::function<void(const Chunk&)>& visit) override {
    std::lock_guard lock(mutex_);
    Statement s(db_.handle(), "SELECT c.id, c.document, c.start, c.end, c.text, d.title FROM chunks c "
                "JOIN documents d ON d.key = c.document WHERE c.dataset = ? ORDER BY c.id");
    s.bind(1, dataset);
    while (s.step()) visit(read_chunk(s));
  }

  std::vector<Chunk> chunks(std::int64_t dataset, const std::vector<std::int64_t>& ids) override {
    if (ids.empty()) return {};
    std::lock_guard lock(mutex_);
    Statement s(db_.handle(), "SELECT c.id, c.document, c.start, c.end, c.text, d.title FROM chunks c "
                "JOIN documents d ON d.key = c.document WHERE c.dataset = ? AND c.id IN (" + id_list(ids) +
                ") ORDER BY c.id");
    s.bind(1, dataset);
    std::vector<Chunk> list;
    while (s.step()) list.push_back(read_chunk(s));
    return list;
  }

  std::vector<std::int64_t> embedded_chunk_ids(std::int64_t dataset) override {
    std::lock_guard lock(mutex_);
    Statement s(db_.handle(), "SELECT id FROM chunks WHERE dataset = ? AND vector IS NOT NULL ORDER BY id");
    s.bind(1, dataset);
    std::vector<std::int64_t> ids;
    while (s.step()) ids.push_back(s.integer(0));
    return ids;
  }

  void for_each_vector(std::int64_t dataset, const std::vector<std::int64_t>& ids,
                       const std::function<void(std::int64_t, const float*, std::size_t)>& visit) override {
    std::lock_guard lock(mutex_);
    Statement s(db_.handle(), "SELECT vector FROM chunks WHERE id = ? AND dataset = ? AND vector IS NOT NULL");
    for (auto id : ids) {
      s.reset();
      s.bind(1, id).bind(2, dataset);
      if (!s.step()) continue;
      auto bytes = s.blob(0);
      // SQLite returns BLOBs at least 8-byte aligned (allocated by its own malloc).
      visit(id, reinterpret_cast<const float*>(bytes.data()), bytes.size() / sizeof(float));
    }
  }

  std::vector<ChunkView> chunk_views(std::int64_t dataset, const std::vector<std::int64_t>& ids) override {
    if (ids.empty()) return {};
    std::lock_guard lock(mutex_);
    Statement s(db_.handle(),
                "SELECT c.id, c.start, c.end, c.text, d.id, d.title, d.metadata FROM chunks c "
                "JOIN documents d ON d.key = c.document WHERE c.dataset = ? AND c.id IN (" +
                    id_list(ids) + ")");
    s.bind(1, dataset);
    std::unordered_map<std::int64_t, ChunkView> found;
    while (s.step()) {
      auto id = s.integer(0);
      found.emplace(id, ChunkView{.id = id,
                                  .document_id = s.text(4),
                                  .title = s.text(5),
                                  .text = s.text(3),
                                  .metadata = parse_metadata(s.text(6)),
                                  .start = static_cast<std::size_t>(s.integer(1)),
                                  .end = static_cast<std::size_t>(s.integer(2))});
    }
    std::vector<ChunkView> views;
    for (auto id : ids)
      if (auto it = found.find(id); it != found.end()) views.push_back(std::move(it->second));
    return views;
  }

  std::vector<std::int64_t> chunks_matching(std::int64_t dataset, const json::object& filter) override {
    std::lock_guard lock(mutex_);
    // Each condition is "json_extract(metadata, path) <op> ?"; the values are bound in order.
    std::string sql = "SELECT c.id FROM chunks c JOIN documents d ON d.key = c.document WHERE c.dataset = ?";
    std::vector<std::pair<std::string, const json::value*>> binds;  // (path, value); empty path: value only
    for (const auto& [key, condition] : filter) {
      const auto path = member_path(key);
      for (const auto& [op, operand] : conditions_of(condition)) {
        if (op == "$in") {
          sql += " AND json_extract(d.metadata, ?) IN (";
          binds.push_back({path, nullptr});
          const auto& values = operand->as_array();
          for (std::size_t i = 0; i < values.size(); ++i) {
            sql += i ? ", ?" : "?";
            binds.push_back({"", &values[i]});
          }
          if (values.empty()) sql += "NULL";  // IN () is not SQL; IN (NULL) matches nothing
          sql += ")";
          continue;
        }
        sql += " AND json_extract(d.metadata, ?) " + std::string(sql_operator(op)) + " ?";
        binds.push_back({path, operand});
      }
    }
    Statement s(db_.handle(), sql);
    s.bind(1, dataset);
    int index = 2;
    for (const auto& [path, value] : binds) {
      if (!path.empty()) s.bind(index++, path);
      if (value) bind_json_scalar(s, index++, *value);
    }
    std::vector<std::int64_t> ids;
    while (s.step()) ids.push_back(s.integer(0));
    return ids;
  }

 private:
  static Chunk read_chunk(Statement& s) {
    return Chunk{.id = s.integer(0),
                 .document_key = s.integer(1),
                 .start = static_cast<std::size_t>(s.integer(2)),
                 .end = static_cast<std::size_t>(s.integer(3)),
                 .text = s.text(4),
                 .title = s.text(5)};
  }

  std::mutex mutex_;  // one connection: its transactions must not interleave across threads
  Database db_;
};

std::uint64_t fnv1a(std::uint64_t hash, std::string_view bytes) {
  for (unsigned char c : bytes) hash = (hash ^ c) * 1099511628211ull;
  return hash;
}

}  // namespace

std::string content_hash(const DocumentInput& document) {
  auto metadata = core::json_text(document.metadata);
  std::uint64_t a = 1469598103934665603ull, b = 0x84222325cbf29ce4ull;
  for (std::string_view part : {std::string_view(document.title), std::string_view(document.text),
                                std::string_view(metadata)}) {
    auto size = std::to_string(part.size()) + ":";  // length-prefixed: ("ab","c") ≠ ("a","bc")
    a = fnv1a(fnv1a(a, size), part);
    b = fnv1a(fnv1a(b, part), size);
  }
  char hex[33];
  std::snprintf(hex, sizeof hex, "%016llx%016llx", static_cast<unsigned long long>(a),
                static_cast<unsigned long long>(b));
  return hex;
}

std::shared_ptr<DatasetStore> open_sqlite_dataset_store(const std::string& path) {
  return std::make_shared<SqliteDatasetStore>(path);
}

}  // namespace sluice::rag
