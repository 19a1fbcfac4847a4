#pragma once
// Where datasets live: datasets, their documents (the client's id, title, text, metadata and a
// content hash), chunks with their character offsets, and the chunks' vectors. SQLite in the
// data directory by default; the interface leaves room for PostgreSQL shared by several nodes.

#include <boost/json/object.hpp>

#include <cstddef>
#include <cstdint>
#include <functional>
#include <future>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace sluice::postgres {
class Database;
}

namespace sluice::rag {

struct DatasetSpec {
  std::string name;
  std::size_t chunk_size = 256;    // in the embedder's tokens
  std::size_t chunk_overlap = 32;  // tokens repeated from the end of the previous chunk
  std::string embedding_model;
  std::string owner;  // who created it (a hash of the API key); empty: shared
};

struct Dataset {
  std::int64_t id = 0;
  std::string name;
  std::size_t chunk_size = 256;
  std::size_t chunk_overlap = 32;
  std::string embedding_model;
  std::string owner;
  std::int64_t created_at_ms = 0;
  std::string last_job_id;  // empty: never processed
};

struct DatasetCounts {
  std::int64_t documents = 0;
  std::int64_t chunks = 0;
  std::int64_t indexed_chunks = 0;  // chunks with a vector
  std::int64_t pending_documents = 0;  // added or changed since they were last chunked
};

/// A document as a client sends it.
struct DocumentInput {
  std::string id;
  std::string title;
  std::string text;
  boost::json::object metadata;
};

struct Document {
  std::int64_t key = 0;  // the store's own id
  std::string id;        // the client's
  std::string title;
  std::string text;
  boost::json::object metadata;
  std::string content_hash;
  bool is_pending = true;
  std::int64_t chunks = 0;
};

/// What an upload did; `removed_chunks` are the chunks of replaced documents, which the
/// in-memory indexes must forget.
struct UpsertResult {
  std::size_t added = 0, updated = 0, unchanged = 0;
  std::vector<std::int64_t> removed_chunks;
};

/// A piece of a document: [start, end) in characters (code points) of its text.
struct ChunkDraft {
  std::size_t start = 0, end = 0;
  std::string text;
};

struct Chunk {
  std::int64_t id = 0;
  std::int64_t document_key = 0;
  std::size_t start = 0, end = 0;
  std::string text;
  std::string title;  // its document's: indexed with the chunk
};

/// A chunk as search results show it.
struct ChunkView {
  std::int64_t id = 0;
  std::string document_id;
  std::string title;
  std::string text;
  boost::json::object metadata;
  std::size_t start = 0, end = 0;
};

/// A change to a dataset's indexes, numbered per dataset in commit order (shared stores keep
/// them so that every node's in-memory indexes can catch up).
struct IndexChange {
  enum class Kind { chunks_added, vectors_added, chunks_removed };
  std::int64_t seq = 0;
  Kind kind = Kind::chunks_added;
  std::vector<std::int64_t> chunks;
};

/// Every call is synchronous and may touch the disk: callers run it off the IO threads.
/// Thread-safe.
class DatasetStore {
 public:
  virtual ~DatasetStore() = default;

  /// Whether other processes write this store too: then in-memory indexes catch up with its
  /// change log (changes_since) instead of trusting that every write went through them.
  virtual bool is_shared() const { return false; }
  /// Names this store's data in the index files' names, so that a file made from another
  /// database is never mistaken for this one's; empty for the embedded store.
  virtual std::string identity() const { return {}; }
  /// The dataset's latest change number (0: none; always 0 where nothing is logged).
  virtual std::int64_t last_change(std::int64_t /*dataset*/) { return 0; }
  /// The same, read while the caller goes on (a search ranks meanwhile): get() waits; nullopt
  /// when a shared store has no such dataset any more.
  virtual std::future<std::optional<std::int64_t>> last_change_started(std::int64_t dataset) {
    std::promise<std::optional<std::int64_t>> now;
    now.set_value(last_change(dataset));
    return now.get_future();
  }
  /// The dataset's changes numbered after `after`, oldest first, at most `limit`.
  virtual std::vector<IndexChange> changes_since(std::int64_t /*dataset*/, std::int64_t /*after*/,
                                                 std::size_t /*limit*/) {
    return {};
  }
  /// Calls `changed(dataset)` when another process logs a change (a shared store's NOTIFY), and
  /// `reconnected()` when announcements may have been missed. Both may run on any thread and must
  /// only hand work on. The embedded store has no one else to hear from.
  virtual void follow_changes(std::function<void(std::int64_t)> /*changed*/, std::function<void()> /*reconnected*/) {}
  /// The chunks `ids` that still exist, as for_each_chunk gives them.
  virtual std::vector<Chunk> chunks(std::int64_t dataset, const std::vector<std::int64_t>& ids) = 0;

  virtual Dataset create_dataset(const DatasetSpec& spec) = 0;
  virtual std::optional<Dataset> dataset(std::int64_t id) = 0;
  /// Every dataset (`owner` null), or those of one owner; oldest first.
  virtual std::vector<Dataset> datasets(const std::string* owner) = 0;
  virtual DatasetCounts counts(std::int64_t id) = 0;
  /// Removes the dataset with its documents, chunks and vectors; false when there was none.
  virtual bool delete_dataset(std::int64_t id) = 0;
  virtual void set_last_job(std::int64_t id, const std::string& job_id) = 0;

  /// Adds or replaces documents in one transaction: an unchanged text, title and metadata
  /// (same hash) is skipped; a changed document loses its chunks and waits to be processed.
  virtual UpsertResult upsert_documents(std::int64_t dataset, const std::vector<DocumentInput>& documents) = 0;
  /// Documents in the order they were first added, without their text.
  virtual std::vector<Document> documents(std::int64_t dataset, std::size_t limit, std::size_t offset) = 0;
  virtual std::optional<Document> document(std::int64_t dataset, const std::string& id) = 0;
  /// The removed document's chunk ids; nullopt when there was no such document.
  virtual std::optional<std::vector<std::int64_t>> delete_document(std::int64_t dataset, const std::string& id) = 0;

  /// Documents waiting to be chunked, in key order, with their text.
  virtual std::vector<Document> pending_documents(std::int64_t dataset, std::size_t limit) = 0;
  /// Stores the chunks of several documents and marks them chunked, in one transaction. A
  /// document whose hash changed meanwhile (re-uploaded) is left pending and gets none.
  /// Returns the stored chunks with their ids.
  virtual std::vector<Chunk> store_chunks(std::int64_t dataset,
                                          const std::vector<std::pair<Document, std::vector<ChunkDraft>>>& chunked) = 0;
  /// Chunks that have no vector yet, in id order.
  virtual std::vector<Chunk> unembedded_chunks(std::int64_t dataset, std::size_t limit) = 0;
  /// Writes vectors in one transaction (the job's checkpoint). Chunks gone meanwhile are skipped.
  virtual void store_vectors(std::int64_t dataset,
                             const std::vector<std::pair<std::int64_t, std::vector<float>>>& vectors) = 0;

  /// Every chunk of the dataset (to rebuild the keyword index at start).
  virtual void for_each_chunk(std::int64_t dataset, const std::function<void(const Chunk&)>& visit) = 0;
  /// Ids of chunks that have a vector.
  virtual std::vector<std::int64_t> embedded_chunk_ids(std::int64_t dataset) = 0;
  /// The vectors of `ids` (those that have one).
  virtual void for_each_vector(std::int64_t dataset, const std::vector<std::int64_t>& ids,
                               const std::function<void(std::int64_t, const float*, std::size_t)>& visit) = 0;
  /// The chunks `ids` with their document's id, title and metadata, in the order of `ids`
  /// (missing ones left out).
  virtual std::vector<ChunkView> chunk_views(std::int64_t dataset, const std::vector<std::int64_t>& ids) = 0;
  /// Ids of the chunks whose document's metadata meets every condition of `filter`: key →
  /// scalar (equal), or key → {"$eq"|"$ne"|"$gt"|"$gte"|"$lt"|"$lte": scalar, "$in": [scalars]}
  /// (all of them). Ranges compare numbers as numbers and strings (ISO 8601 dates) as text.
  virtual std::vector<std::int64_t> chunks_matching(std::int64_t dataset, const boost::json::object& filter) = 0;
};

/// Opens (creating if needed) the SQLite store at `path`, in WAL mode.
std::shared_ptr<DatasetStore> open_sqlite_dataset_store(const std::string& path);
/// The store on PostgreSQL, shared by every node that opens it; creates or migrates its schema.
std::shared_ptr<DatasetStore> open_postgres_dataset_store(std::shared_ptr<postgres::Database> database);

/// A 128-bit hash (two FNV-1a variants, hex) of title, text and metadata: equal inputs, equal hash.
std::string content_hash(const DocumentInput& document);

}  // namespace sluice::rag
