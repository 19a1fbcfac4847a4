// The dataset store on PostgreSQL, shared by every serving node and worker. Bulk rows go in by
// COPY (documents, chunks) or one statement over arrays (vectors, updates); every change to a
// dataset's indexes is logged with the dataset's next sequence number and announced with
// NOTIFY, so that each node's in-memory indexes can replay what other processes wrote.

#include "sluice/rag/dataset_store.hpp"

#include "chunk_view_cache.hpp"
#include "store_metadata.hpp"

#include "sluice/core/json_text.hpp"
#include "sluice/postgres/database.hpp"

#include <algorithm>
#include <charconv>
#include <chrono>
#include <cstring>
#include <optional>
#include <unordered_map>

namespace sluice::rag {

namespace asio = boost::asio;
namespace json = boost::json;
using postgres::Param;
using postgres::Rows;
using postgres::Session;

namespace {

// Version 1. Chunk ids come from one sequence: never reused, so a node replaying the change log
// can tell a chunk it already has from a new one.
constexpr std::string_view kSchemaV1 = R"sql(
CREATE TABLE rag_instance (uuid text NOT NULL);
INSERT INTO rag_instance (uuid) VALUES (gen_random_uuid()::text);
CREATE TABLE rag_datasets (
  id bigserial PRIMARY KEY,
  name text NOT NULL,
  chunk_size integer NOT NULL,
  chunk_overlap integer NOT NULL,
  embedding_model text NOT NULL,
  owner text NOT NULL DEFAULT '',
  created_at_ms bigint NOT NULL,
  last_job_id text NOT NULL DEFAULT '',
  change_seq bigint NOT NULL DEFAULT 0);
CREATE TABLE rag_documents (
  key bigserial PRIMARY KEY,
  dataset bigint NOT NULL REFERENCES rag_datasets(id) ON DELETE CASCADE,
  id text NOT NULL,
  title text NOT NULL,
  text text NOT NULL,
  metadata json NOT NULL,
  hash text NOT NULL,
  pending boolean NOT NULL,
  UNIQUE (dataset, id));
CREATE INDEX rag_documents_pending ON rag_documents(dataset, key) WHERE pending;
CREATE TABLE rag_chunks (
  id bigserial PRIMARY KEY,
  dataset bigint NOT NULL,
  document bigint NOT NULL REFERENCES rag_documents(key) ON DELETE CASCADE,
  start_at integer NOT NULL,
  end_at integer NOT NULL,
  text text NOT NULL,
  vector bytea);
CREATE INDEX rag_chunks_document ON rag_chunks(document);
CREATE INDEX rag_chunks_dataset ON rag_chunks(dataset, id);
CREATE INDEX rag_chunks_unembedded ON rag_chunks(dataset, id) WHERE vector IS NULL;
CREATE TABLE rag_changes (
  dataset bigint NOT NULL REFERENCES rag_datasets(id) ON DELETE CASCADE,
  seq bigint NOT NULL,
  kind text NOT NULL,
  chunks bigint[] NOT NULL,
  PRIMARY KEY (dataset, seq));
)sql";

constexpr std::string_view kDatasetColumns =
    "SELECT id, name, chunk_size, chunk_overlap, embedding_model, owner, created_at_ms, last_job_id FROM rag_datasets";
constexpr std::string_view kChunkColumns =
    "SELECT c.id, c.document, c.start_at, c.end_at, c.text, d.title, d.id, d.metadata FROM rag_chunks c "
    "JOIN rag_documents d ON d.key = c.document ";
constexpr std::size_t kPage = 5'000;  // rows per round trip when reading a whole dataset
constexpr std::size_t kPassageCacheBytes = 32 << 20;  // of passages kept per node

std::int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string number(std::int64_t value) { return std::to_string(value); }

Dataset read_dataset(const Rows& rows, int row) {
  return Dataset{.id = rows.integer(row, 0),
                 .name = std::string(rows.text(row, 1)),
                 .chunk_size = static_cast<std::size_t>(rows.integer(row, 2)),
                 .chunk_overlap = static_cast<std::size_t>(rows.integer(row, 3)),
                 .embedding_model = std::string(rows.text(row, 4)),
                 .owner = std::string(rows.text(row, 5)),
                 .created_at_ms = rows.integer(row, 6),
                 .last_job_id = std::string(rows.text(row, 7))};
}

Chunk read_chunk(const Rows& rows, int row) {
  return Chunk{.id = rows.integer(row, 0),
               .document_key = rows.integer(row, 1),
               .start = static_cast<std::size_t>(rows.integer(row, 2)),
               .end = static_cast<std::size_t>(rows.integer(row, 3)),
               .text = std::string(rows.text(row, 4)),
               .title = std::string(rows.text(row, 5))};
}

/// The passage of a kChunkColumns row.
ChunkView read_chunk_view(const Rows& rows, int row) {
  return ChunkView{.id = rows.integer(row, 0),
                   .document_id = std::string(rows.text(row, 6)),
                   .title = std::string(rows.text(row, 5)),
                   .text = std::string(rows.text(row, 4)),
                   .metadata = parse_metadata(rows.text(row, 7)),
                   .start = static_cast<std::size_t>(rows.integer(row, 2)),
                   .end = static_cast<std::size_t>(rows.integer(row, 3))};
}

std::string_view kind_name(IndexChange::Kind kind) {
  switch (kind) {
    case IndexChange::Kind::chunks_added: return "chunks";
    case IndexChange::Kind::vectors_added: return "vectors";
    case IndexChange::Kind::chunks_removed: return "removed";
  }
  return "chunks";
}

IndexChange::Kind kind_of(std::string_view name) {
  if (name == "vectors") return IndexChange::Kind::vectors_added;
  if (name == "removed") return IndexChange::Kind::chunks_removed;
  return IndexChange::Kind::chunks_added;
}

/// Logs a change with the dataset's next number. The UPDATE locks the dataset's row until the
/// transaction commits, so a dataset's changes commit in the order of their numbers: a node
/// that has applied number n has seen every change up to n. NOTIFY is delivered at commit.
asio::awaitable<void> log_change(Session& session, std::int64_t dataset, IndexChange::Kind kind,
                                 const std::vector<std::int64_t>& chunks) {
  if (chunks.empty()) co_return;
  co_await session.query(
      "WITH bumped AS (UPDATE rag_datasets SET change_seq = change_seq + 1 WHERE id = $1::bigint RETURNING change_seq), "
      "logged AS (INSERT INTO rag_changes (dataset, seq, kind, chunks) "
      "SELECT $1::bigint, change_seq, $2::text, $3::bigint[] FROM bumped RETURNING seq) "
      "SELECT pg_notify('sluice_rag_changes', $1::bigint::text || ':' || seq::text) FROM logged",
      number(dataset), kind_name(kind), postgres::int_array(chunks));
}

/// One metadata condition in SQL, its operand bound as JSON text ($n). Numbers compare as
/// numbers and strings as bytes (C collation, as SQLite does), values of another type never.
std::string condition_sql(std::string_view op, const json::value& operand, const std::string& key_param,
                          const std::string& value_param) {
  const std::string member = "(d.metadata::jsonb -> " + key_param + "::text)";
  if (op == "$in") return member + " IN (SELECT jsonb_array_elements(" + value_param + "::jsonb))";
  if (op == "$eq") return member + " = " + value_param + "::jsonb";
  if (op == "$ne") return member + " IS DISTINCT FROM " + value_param + "::jsonb";  // a missing key matches
  std::string sql_op = op == "$gt" ? ">" : op == "$gte" ? ">=" : op == "$lt" ? "<" : "<=";
  const std::string text = "(d.metadata::jsonb ->> " + key_param + "::text)";
  if (operand.is_number())
    return "(jsonb_typeof" + member + " = 'number' AND " + text + "::numeric " + sql_op + " (" + value_param +
           "::jsonb #>> '{}')::numeric)";
  return "(jsonb_typeof" + member + " = 'string' AND " + text + " COLLATE \"C\" " + sql_op + " (" + value_param +
         "::jsonb #>> '{}') COLLATE \"C\")";
}

class PostgresDatasetStore final : public DatasetStore {
 public:
  explicit PostgresDatasetStore(std::shared_ptr<postgres::Database> db) : db_(std::move(db)) {
    db_->migrate("rag", std::vector<std::string_view>{kSchemaV1});
    identity_ = db_->session([](Session& s) -> asio::awaitable<std::string> {
      auto rows = co_await s.query("SELECT uuid FROM rag_instance LIMIT 1");
      co_return std::string(rows.text(0, 0));
    });
  }

  bool is_shared() const override { return true; }
  std::string identity() const override { return identity_; }

  Dataset create_dataset(const DatasetSpec& spec) override {
    const auto created = now_ms();
    auto id = db_->session([&](Session& s) -> asio::awaitable<std::int64_t> {
      auto rows = co_await s.query(
          "INSERT INTO rag_datasets (name, chunk_size, chunk_overlap, embedding_model, owner, created_at_ms) "
          "VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
          spec.name, number(static_cast<std::int64_t>(spec.chunk_size)),
           number(static_cast<std::int64_t>(spec.chunk_overlap)), spec.embedding_model, spec.owner, number(created));
      co_return rows.integer(0, 0);
    });
    return Dataset{.id = id,
                   .name = spec.name,
                   .chunk_size = spec.chunk_size,
                   .chunk_overlap = spec.chunk_overlap,
                   .embedding_model = spec.embedding_model,
                   .owner = spec.owner,
                   .created_at_ms = created};
  }

  std::optional<Dataset> dataset(std::int64_t id) override {
    return db_->session([&](Session& s) -> asio::awaitable<std::optional<Dataset>> {
      auto rows = co_await s.query(std::string(kDatasetColumns) + " WHERE id = $1", number(id));
      if (rows.size() == 0) co_return std::nullopt;
      co_return read_dataset(rows, 0);
    });
  }

  std::vector<Dataset> datasets(const std::string* owner) override {
    return db_->session([&](Session& s) -> asio::awaitable<std::vector<Dataset>> {
      auto rows = owner ? co_await s.query(std::string(kDatasetColumns) + " WHERE owner = $1 ORDER BY id", *owner)
                        : co_await s.query(std::string(kDatasetColumns) + " ORDER BY id");
      std::vector<Dataset> list;
      for (int i = 0; i < rows.size(); ++i) list.push_back(read_dataset(rows, i));
      co_return list;
    });
  }

  DatasetCounts counts(std::int64_t id) override {
    return db_->session([&](Session& s) -> asio::awaitable<DatasetCounts> {
      auto rows = co_await s.query(
          "SELECT (SELECT count(*) FROM rag_documents WHERE dataset = $1), "
          "(SELECT count(*) FROM rag_documents WHERE dataset = $1 AND pending), "
          "(SELECT count(*) FROM rag_chunks WHERE dataset = $1), "
          "(SELECT count(*) FROM rag_chunks WHERE dataset = $1 AND vector IS NULL)",
          number(id));
      DatasetCounts counts{.documents = rows.integer(0, 0),
                           .chunks = rows.integer(0, 2),
                           .indexed_chunks = rows.integer(0, 2) - rows.integer(0, 3),
                           .pending_documents = rows.integer(0, 1)};
      co_return counts;
    });
  }

  bool delete_dataset(std::int64_t id) override {
    // Documents, chunks and the change log go with it (ON DELETE CASCADE).
    return db_->transaction([&](Session& s) -> asio::awaitable<bool> {
      auto rows = co_await s.query("DELETE FROM rag_datasets WHERE id = $1", number(id));
      co_return rows.affected() > 0;
    });
  }

  void set_last_job(std::int64_t id, const std::string& job_id) override {
    db_->session([&](Session& s) -> asio::awaitable<void> {
      co_await s.query("UPDATE rag_datasets SET last_job_id = $1 WHERE id = $2", job_id, number(id));
    });
  }

  UpsertResult upsert_documents(std::int64_t dataset, const std::vector<DocumentInput>& documents) override {
    // Hashes and metadata text are made here, not on the database's loop.
    struct Prepared {
      const DocumentInput* input;
      std::string hash, metadata;
    };
    std::vector<Prepared> prepared;
    prepared.reserve(documents.size());
    std::vector<std::string> ids;
    ids.reserve(documents.size());
    for (const auto& document : documents) {
      prepared.push_back({&document, content_hash(document), core::json_text(document.metadata)});
      ids.push_back(document.id);
    }
    const auto id_param = postgres::text_array(ids);
    return db_->transaction([&](Session& s) -> asio::awaitable<UpsertResult> {
      UpsertResult result;
      auto found = co_await s.query("SELECT id, key, hash FROM rag_documents WHERE dataset = $1 AND id = ANY($2::text[])",
                                    number(dataset), id_param);
      struct Existing {
        std::int64_t key;  // 0: inserted by this upload
        std::string hash;
        std::size_t insert = 0;  // index in `inserts` when key is 0
      };
      std::unordered_map<std::string, Existing> existing;
      for (int i = 0; i < found.size(); ++i)
        existing.emplace(std::string(found.text(i, 0)), Existing{found.integer(i, 1), std::string(found.text(i, 2))});
      std::vector<const Prepared*> inserts;
      std::unordered_map<std::int64_t, const Prepared*> updates;  // key → the newest content
      // In upload order, as the embedded store does: a repeated id within one upload counts
      // against what came before it.
      for (const auto& document : prepared) {
        auto it = existing.find(document.input->id);
        if (it == existing.end()) {
          existing.emplace(document.input->id, Existing{0, document.hash, inserts.size()});
          inserts.push_back(&document);
          ++result.added;
        } else if (it->second.hash == document.hash) {
          ++result.unchanged;
        } else {
          it->second.hash = document.hash;
          if (it->second.key == 0) inserts[it->second.insert] = &document;
          else updates[it->second.key] = &document;
          ++result.updated;
        }
      }
      if (!updates.empty()) {
        std::vector<std::int64_t> keys;
        std::vector<std::string> titles, texts, metadata, hashes;
        for (const auto& [key, document] : updates) {
          keys.push_back(key);
          titles.push_back(document->input->title);
          texts.push_back(document->input->text);
          metadata.push_back(document->metadata);
          hashes.push_back(document->hash);
        }
        const auto key_param = postgres::int_array(keys);
        auto removed = co_await s.query("DELETE FROM rag_chunks WHERE document = ANY($1::bigint[]) RETURNING id",
                                        key_param);
        for (int i = 0; i < removed.size(); ++i) result.removed_chunks.push_back(removed.integer(i, 0));
        co_await s.query(
            "UPDATE rag_documents d SET title = u.title, text = u.text, metadata = u.metadata::json, hash = u.hash, "
            "pending = true FROM unnest($1::bigint[], $2::text[], $3::text[], $4::text[], $5::text[]) "
            "AS u(key, title, text, metadata, hash) WHERE d.key = u.key",
            key_param, postgres::text_array(titles), postgres::text_array(texts), postgres::text_array(metadata),
             postgres::text_array(hashes));
      }
      if (!inserts.empty()) {
        std::string rows;
        const auto prefix = number(dataset) + '\t';
        for (const auto* document : inserts) {
          rows += prefix;
          postgres::copy_field(rows, document->input->id);
          rows += '\t';
          postgres::copy_field(rows, document->input->title);
          rows += '\t';
          postgres::copy_field(rows, document->input->text);
          rows += '\t';
          postgres::copy_field(rows, document->metadata);
          rows += '\t';
          rows += document->hash;
          rows += "\tt\n";
        }
        co_await s.copy("COPY rag_documents (dataset, id, title, text, metadata, hash, pending) FROM STDIN", rows);
      }
      co_await log_change(s, dataset, IndexChange::Kind::chunks_removed, result.removed_chunks);
      co_return result;
    });
  }

  std::vector<Document> documents(std::int64_t dataset, std::size_t limit, std::size_t offset) override {
    return db_->session([&](Session& s) -> asio::awaitable<std::vector<Document>> {
      auto rows = co_await s.query(
          "SELECT d.key, d.id, d.title, d.metadata, d.hash, d.pending, "
          "(SELECT count(*) FROM rag_chunks c WHERE c.document = d.key) "
          "FROM rag_documents d WHERE d.dataset = $1 ORDER BY d.key LIMIT $2 OFFSET $3",
          number(dataset), number(static_cast<std::int64_t>(limit)), number(static_cast<std::int64_t>(offset)));
      std::vector<Document> list;
      for (int i = 0; i < rows.size(); ++i)
        list.push_back(Document{.key = rows.integer(i, 0),
                                .id = std::string(rows.text(i, 1)),
                                .title = std::string(rows.text(i, 2)),
                                .metadata = parse_metadata(rows.text(i, 3)),
                                .content_hash = std::string(rows.text(i, 4)),
                                .is_pending = rows.boolean(i, 5),
                                .chunks = rows.integer(i, 6)});
      co_return list;
    });
  }

  std::optional<Document> document(std::int64_t dataset, const std::string& id) override {
    return db_->session([&](Session& s) -> asio::awaitable<std::optional<Document>> {
      auto rows = co_await s.query(
          "SELECT d.key, d.id, d.title, d.text, d.metadata, d.hash, d.pending, "
          "(SELECT count(*) FROM rag_chunks c WHERE c.document = d.key) "
          "FROM rag_documents d WHERE d.dataset = $1 AND d.id = $2",
          number(dataset), id);
      if (rows.size() == 0) co_return std::nullopt;
      co_return Document{.key = rows.integer(0, 0),
                         .id = std::string(rows.text(0, 1)),
                         .title = std::string(rows.text(0, 2)),
                         .text = std::string(rows.text(0, 3)),
                         .metadata = parse_metadata(rows.text(0, 4)),
                         .content_hash = std::string(rows.text(0, 5)),
                         .is_pending = rows.boolean(0, 6),
                         .chunks = rows.integer(0, 7)};
    });
  }

  std::optional<std::vector<std::int64_t>> delete_document(std::int64_t dataset, const std::string& id) override {
    return db_->transaction([&](Session& s) -> asio::awaitable<std::optional<std::vector<std::int64_t>>> {
      auto chunks = co_await s.query(
          "DELETE FROM rag_chunks WHERE document = (SELECT key FROM rag_documents WHERE dataset = $1 AND id = $2) "
          "RETURNING id",
          number(dataset), id);
      auto document = co_await s.query("DELETE FROM rag_documents WHERE dataset = $1 AND id = $2", number(dataset), id);
      if (document.affected() == 0) co_return std::nullopt;
      std::vector<std::int64_t> removed;
      for (int i = 0; i < chunks.size(); ++i) removed.push_back(chunks.integer(i, 0));
      std::sort(removed.begin(), removed.end());
      co_await log_change(s, dataset, IndexChange::Kind::chunks_removed, removed);
      co_return removed;
    });
  }

  std::vector<Document> pending_documents(std::int64_t dataset, std::size_t limit) override {
    return db_->session([&](Session& s) -> asio::awaitable<std::vector<Document>> {
      auto rows = co_await s.query(
          "SELECT key, id, title, text, hash FROM rag_documents WHERE dataset = $1 AND pending ORDER BY key LIMIT $2",
          number(dataset), number(static_cast<std::int64_t>(limit)));
      std::vector<Document> list;
      for (int i = 0; i < rows.size(); ++i)
        list.push_back(Document{.key = rows.integer(i, 0),
                                .id = std::string(rows.text(i, 1)),
                                .title = std::string(rows.text(i, 2)),
                                .text = std::string(rows.text(i, 3)),
                                .content_hash = std::string(rows.text(i, 4))});
      co_return list;
    });
  }

  std::vector<Chunk> store_chunks(std::int64_t dataset,
                                  const std::vector<std::pair<Document, std::vector<ChunkDraft>>>& chunked) override {
    std::vector<std::int64_t> keys;
    std::vector<std::string> hashes;
    for (const auto& [document, drafts] : chunked) {
      keys.push_back(document.key);
      hashes.push_back(document.content_hash);
    }
    const auto key_param = postgres::int_array(keys), hash_param = postgres::text_array(hashes);
    return db_->transaction([&](Session& s) -> asio::awaitable<std::vector<Chunk>> {
      std::vector<Chunk> stored;
      // A document whose hash changed meanwhile (re-uploaded) stays pending and gets no chunks.
      auto marked = co_await s.query(
          "UPDATE rag_documents d SET pending = false FROM unnest($1::bigint[], $2::text[]) AS u(key, hash) "
          "WHERE d.key = u.key AND d.hash = u.hash AND d.pending RETURNING d.key",
          key_param, hash_param);
      std::unordered_map<std::int64_t, bool> is_marked;
      for (int i = 0; i < marked.size(); ++i) is_marked[marked.integer(i, 0)] = true;
      std::size_t count = 0;
      for (const auto& [document, drafts] : chunked)
        if (is_marked.contains(document.key)) count += drafts.size();
      if (count > 0) {
        // Ids first, so that the rows can go in by COPY and still be returned with their ids.
        auto ids = co_await s.query("SELECT nextval('rag_chunks_id_seq') FROM generate_series(1, $1::integer)",
                                    number(static_cast<std::int64_t>(count)));
        std::vector<std::int64_t> next;
        for (int i = 0; i < ids.size(); ++i) next.push_back(ids.integer(i, 0));
        std::sort(next.begin(), next.end());
        std::string rows;
        std::size_t n = 0;
        const auto dataset_text = number(dataset);
        for (const auto& [document, drafts] : chunked) {
          if (!is_marked.contains(document.key)) continue;
          for (const auto& draft : drafts) {
            const auto id = next[n++];
            rows += number(id) + '\t' + dataset_text + '\t' + number(document.key) + '\t' +
                    number(static_cast<std::int64_t>(draft.start)) + '\t' +
                    number(static_cast<std::int64_t>(draft.end)) + '\t';
            postgres::copy_field(rows, draft.text);
            rows += '\n';
            stored.push_back(Chunk{.id = id,
                                   .document_key = document.key,
                                   .start = draft.start,
                                   .end = draft.end,
                                   .text = draft.text,
                                   .title = document.title});
          }
        }
        co_await s.copy("COPY rag_chunks (id, dataset, document, start_at, end_at, text) FROM STDIN", rows);
        std::vector<std::int64_t> added;
        for (const auto& chunk : stored) added.push_back(chunk.id);
        co_await log_change(s, dataset, IndexChange::Kind::chunks_added, added);
      }
      co_return stored;
    });
  }

  std::vector<Chunk> unembedded_chunks(std::int64_t dataset, std::size_t limit) override {
    return db_->session([&](Session& s) -> asio::awaitable<std::vector<Chunk>> {
      auto rows = co_await s.query(std::string(kChunkColumns) +
                                       "WHERE c.dataset = $1 AND c.vector IS NULL ORDER BY c.id LIMIT $2",
                                   number(dataset), number(static_cast<std::int64_t>(limit)));
      std::vector<Chunk> list;
      for (int i = 0; i < rows.size(); ++i) list.push_back(read_chunk(rows, i));
      co_return list;
    });
  }

  void store_vectors(std::int64_t dataset,
                     const std::vector<std::pair<std::int64_t, std::vector<float>>>& vectors) override {
    if (vectors.empty()) return;
    // One statement: the ids as an array, the vectors as one binary parameter cut in SQL.
    const std::size_t width = vectors.front().second.size() * sizeof(float);
    std::vector<std::int64_t> ids;
    std::string bytes;
    bytes.reserve(width * vectors.size());
    for (const auto& [id, vector] : vectors) {
      if (vector.size() * sizeof(float) != width) throw std::invalid_argument("vectors of one batch differ in size");
      ids.push_back(id);
      bytes.append(reinterpret_cast<const char*>(vector.data()), width);
    }
    const auto id_param = postgres::int_array(ids);
    db_->transaction([&](Session& s) -> asio::awaitable<void> {
      auto rows = co_await s.query(
          "UPDATE rag_chunks c SET vector = substring($2::bytea FROM ((u.ord - 1) * $3::integer + 1)::integer "
          "FOR $3::integer) FROM unnest($1::bigint[]) WITH ORDINALITY AS u(id, ord) "
          "WHERE c.id = u.id AND c.dataset = $4::bigint RETURNING c.id",
          id_param, Param::bytes(bytes), number(static_cast<std::int64_t>(width)), number(dataset));
      std::vector<std::int64_t> stored;
      for (int i = 0; i < rows.size(); ++i) stored.push_back(rows.integer(i, 0));
      std::sort(stored.begin(), stored.end());
      co_await log_change(s, dataset, IndexChange::Kind::vectors_added, stored);
    });
  }

  void for_each_chunk(std::int64_t dataset, const std::function<void(const Chunk&)>& visit) override {
    // Page by page, each visited here on the caller's thread, not on the database's loop.
    std::int64_t after = 0;
    while (true) {
      auto page = db_->session([&](Session& s) -> asio::awaitable<std::vector<Chunk>> {
        auto rows = co_await s.query(std::string(kChunkColumns) + "WHERE c.dataset = $1 AND c.id > $2 ORDER BY c.id LIMIT $3",
                                     number(dataset), number(after), number(static_cast<std::int64_t>(kPage)));
        std::vector<Chunk> list;
        for (int i = 0; i < rows.size(); ++i) {
          list.push_back(read_chunk(rows, i));
          if (cache_.has_room()) cache_.insert(dataset, read_chunk_view(rows, i));
        }
        co_return list;
      });
      for (const auto& chunk : page) visit(chunk);
      if (page.size() < kPage) return;
      after = page.back().id;
    }
  }

  std::vector<Chunk> chunks(std::int64_t dataset, const std::vector<std::int64_t>& ids) override {
    std::vector<Chunk> list;
    for (std::size_t from = 0; from < ids.size(); from += kPage) {
      std::vector<std::int64_t> part(ids.begin() + static_cast<std::ptrdiff_t>(from),
                                     ids.begin() + static_cast<std::ptrdiff_t>(std::min(ids.size(), from + kPage)));
      auto page = db_->session([&](Session& s) -> asio::awaitable<std::vector<Chunk>> {
        auto rows = co_await s.query(std::string(kChunkColumns) + "WHERE c.dataset = $1 AND c.id = ANY($2::bigint[]) "
                                                                  "ORDER BY c.id",
                                     number(dataset), postgres::int_array(part));
        std::vector<Chunk> found;
        for (int i = 0; i < rows.size(); ++i) {
          found.push_back(read_chunk(rows, i));
          // New chunks a node's index is learning of: their passages are what searches will ask for.
          if (cache_.has_room()) cache_.insert(dataset, read_chunk_view(rows, i));
        }
        co_return found;
      });
      std::move(page.begin(), page.end(), std::back_inserter(list));
    }
    return list;
  }

  std::vector<std::int64_t> embedded_chunk_ids(std::int64_t dataset) override {
    return db_->session([&](Session& s) -> asio::awaitable<std::vector<std::int64_t>> {
      auto rows = co_await s.query("SELECT id FROM rag_chunks WHERE dataset = $1 AND vector IS NOT NULL ORDER BY id",
                                   number(dataset));
      std::vector<std::int64_t> ids;
      ids.reserve(static_cast<std::size_t>(rows.size()));
      for (int i = 0; i < rows.size(); ++i) ids.push_back(rows.integer(i, 0));
      co_return ids;
    });
  }

  void for_each_vector(std::int64_t dataset, const std::vector<std::int64_t>& ids,
                       const std::function<void(std::int64_t, const float*, std::size_t)>& visit) override {
    std::vector<float> vector;
    for (std::size_t from = 0; from < ids.size(); from += kPage) {
      std::vector<std::int64_t> part(ids.begin() + static_cast<std::ptrdiff_t>(from),
                                     ids.begin() + static_cast<std::ptrdiff_t>(std::min(ids.size(), from + kPage)));
      // Binary results: the vectors arrive as their bytes, not as hex text twice their size.
      auto rows = db_->session([&](Session& s) -> asio::awaitable<Rows> {
        co_return co_await s.query_binary(
            "SELECT id, vector FROM rag_chunks WHERE dataset = $1 AND id = ANY($2::bigint[]) AND vector IS NOT NULL",
            number(dataset), postgres::int_array(part));
      });
      for (int i = 0; i < rows.size(); ++i) {
        auto bytes = rows.text(i, 1);
        vector.resize(bytes.size() / sizeof(float));
        std::memcpy(vector.data(), bytes.data(), vector.size() * sizeof(float));  // libpq's buffer is unaligned
        visit(rows.binary_integer(i, 0), vector.data(), vector.size());
      }
    }
  }

  /// From this node's passage cache where it has them, the others in one query (and kept).
  std::vector<ChunkView> chunk_views(std::int64_t dataset, const std::vector<std::int64_t>& ids) override {
    std::unordered_map<std::int64_t, ChunkView> found;
    auto missing = cache_.lookup(dataset, ids, found);
    if (!missing.empty()) {
      auto rows = db_->session([&](Session& s) -> asio::awaitable<Rows> {
        auto fetched = co_await s.query(
            std::string(kChunkColumns) + "WHERE c.dataset = $1 AND c.id = ANY($2::bigint[])",
            number(dataset), postgres::int_array(missing));
        co_return fetched;
      });
      for (int i = 0; i < rows.size(); ++i) {
        auto view = read_chunk_view(rows, i);
        cache_.insert(dataset, view);
        found.emplace(view.id, std::move(view));
      }
    }
    std::vector<ChunkView> views;
    for (auto id : ids)
      if (auto it = found.find(id); it != found.end()) views.push_back(std::move(it->second));
    return views;
  }

  std::vector<std::int64_t> chunks_matching(std::int64_t dataset, const json::object& filter) override {
    std::string sql = "SELECT c.id FROM rag_chunks c JOIN rag_documents d ON d.key = c.document WHERE c.dataset = $1";
    std::vector<std::string> params{number(dataset)};
    for (const auto& [key, condition] : filter) {
      params.emplace_back(key);
      const auto key_param = "$" + std::to_string(params.size());
      for (const auto& [op, operand] : conditions_of(condition)) {
        params.push_back(core::json_text(*operand));
        sql += " AND " + condition_sql(op, *operand, key_param, "$" + std::to_string(params.size()));
      }
    }
    return db_->session([&](Session& s) -> asio::awaitable<std::vector<std::int64_t>> {
      std::vector<Param> bound(params.begin(), params.end());
      auto rows = co_await s.query_list(sql, std::move(bound));
      std::vector<std::int64_t> ids;
      for (int i = 0; i < rows.size(); ++i) ids.push_back(rows.integer(i, 0));
      co_return ids;
    });
  }

  void follow_changes(std::function<void(std::int64_t)> changed, std::function<void()> reconnected) override {
    db_->listen(
        "sluice_rag_changes",
        [changed = std::move(changed)](std::string_view payload) {
          std::int64_t dataset = 0;  // "<dataset>:<seq>"
          std::from_chars(payload.data(), payload.data() + payload.size(), dataset);
          if (dataset > 0) changed(dataset);
        },
        std::move(reconnected));
  }

  std::int64_t last_change(std::int64_t dataset) override {
    return db_->session([&](Session& s) -> asio::awaitable<std::int64_t> {
      auto rows = co_await s.query("SELECT change_seq FROM rag_datasets WHERE id = $1", number(dataset));
      co_return rows.size() ? rows.integer(0, 0) : 0;
    });
  }

  std::future<std::optional<std::int64_t>> last_change_started(std::int64_t dataset) override {
    // By value: the caller goes on while the query runs.
    return db_->session_started([id = number(dataset)](Session& s) -> asio::awaitable<std::optional<std::int64_t>> {
      auto rows = co_await s.query("SELECT change_seq FROM rag_datasets WHERE id = $1", id);
      if (rows.size() == 0) co_return std::nullopt;
      co_return rows.integer(0, 0);
    });
  }

  /// Chunks removed are forgotten by the passage cache here, as the index learns of them.
  std::vector<IndexChange> changes_since(std::int64_t dataset, std::int64_t after, std::size_t limit) override {
    auto changes = db_->session([&](Session& s) -> asio::awaitable<std::vector<IndexChange>> {
      auto rows = co_await s.query(
          "SELECT seq, kind, chunks FROM rag_changes WHERE dataset = $1 AND seq > $2 ORDER BY seq LIMIT $3",
          number(dataset), number(after), number(static_cast<std::int64_t>(limit)));
      std::vector<IndexChange> read;
      for (int i = 0; i < rows.size(); ++i)
        read.push_back({.seq = rows.integer(i, 0),
                        .kind = kind_of(rows.text(i, 1)),
                        .chunks = postgres::parse_int_array(rows.text(i, 2))});
      co_return read;
    });
    for (const auto& change : changes)
      if (change.kind == IndexChange::Kind::chunks_removed) cache_.forget(change.chunks);
    return changes;
  }

 private:
  std::shared_ptr<postgres::Database> db_;
  std::string identity_;
  ChunkViewCache cache_{kPassageCacheBytes};
};

}  // namespace

std::shared_ptr<DatasetStore> open_postgres_dataset_store(std::shared_ptr<postgres::Database> database) {
  return std::make_shared<PostgresDatasetStore>(std::move(database));
}

}  // namespace sluice::rag
