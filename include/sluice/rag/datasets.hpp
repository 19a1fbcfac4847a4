#pragma once
// Datasets as a whole: the store, each dataset's keyword and vector indexes kept in memory
// (loaded on first use, saved next to the store), the indexing job, and retrieval.

#include "sluice/ai/embedder.hpp"
#include "sluice/core/compute_pool.hpp"
#include "sluice/core/error.hpp"
#include "sluice/jobs/job_queue.hpp"
#include "sluice/rag/chunker.hpp"
#include "sluice/rag/dataset_store.hpp"
#include "sluice/rag/vector_index.hpp"

#include <boost/asio/awaitable.hpp>
#include <boost/json/array.hpp>
#include <boost/json/value.hpp>

#include <filesystem>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

namespace sluice::rag {

enum class SearchMode { hybrid, vector, keyword };
enum class Fusion { reciprocal_rank, normalised_scores };

struct SearchRequest {
  std::string query;
  std::size_t k = 10;
  SearchMode mode = SearchMode::hybrid;
  bool group_by_document = false;
  boost::json::object filter;  // metadata key → value or {operator: operand} (DatasetStore::chunks_matching)
  Fusion fusion = Fusion::normalised_scores;
  /// Weight of the vector ranking in hybrid fusion, the keyword ranking's being 1; unset:
  /// DatasetsOptions::vector_weight.
  std::optional<double> vector_weight;
};

struct SearchHit {
  ChunkView chunk;
  double score = 0;
};

/// The passages an answer is generated from, numbered as their citations.
struct Grounding {
  std::string context;          // "[1] title\ntext\n\n[2] ..."
  boost::json::array citations;  // {index, document_id, chunk_id, title, start, end, score, text}
};

struct DatasetsOptions {
  std::filesystem::path directory;  // rag.db and the vector index files
  std::size_t embed_batch = 64;     // chunks per embedding call, and per checkpoint
  std::size_t chunk_batch = 64;     // documents chunked per transaction
  VectorIndexOptions vectors;
  /// Hybrid search's default weight of the vector ranking (the keyword ranking's is 1). Equal
  /// weights suit a semantic embedder; a lexical one (the built-in) mostly repeats what BM25
  /// found, with more noise, and gets less (see docs/rag.md).
  double vector_weight = 1.0;
  /// False in a process that only indexes (`sluice worker` on a shared store): build() then
  /// writes the store without loading or updating in-memory indexes nobody searches here.
  bool serves_searches = true;
};

/// Thread-safe. Every method may touch the disk or burn CPU: call them from the compute pool
/// or a job, never from an IO thread. Each dataset's indexes sit behind one reader/writer lock:
/// searches share it, the job and uploads take it briefly to apply a batch.
class Datasets {
 public:
  Datasets(DatasetsOptions options, std::shared_ptr<DatasetStore> store, std::shared_ptr<ai::Embedder> embedder);
  ~Datasets();

  DatasetStore& store() { return *store_; }
  const ai::Embedder& embedder() const { return *embedder_; }
  /// Tokens of `text` as the embedder counts them (chunk sizes are in these).
  std::size_t count_tokens(std::string_view text) const;

  Dataset create(DatasetSpec spec);
  /// Removes the dataset's rows, its in-memory indexes and its index file.
  bool remove(std::int64_t id);
  /// Stores an upload and drops replaced documents' chunks from the indexes.
  UpsertResult upload(std::int64_t id, const std::vector<DocumentInput>& documents);
  bool delete_document(std::int64_t id, const std::string& document_id);

  /// The build_embeddings job: chunks pending documents, embeds chunks without vectors in
  /// batches (each batch's vectors committed before the next: the checkpoint a restarted job
  /// resumes from), and keeps both indexes in step. Returns the job's result.
  boost::json::value build(std::int64_t id, jobs::JobContext& job);

  /// Retrieval; `query_vector` is the embedded query (needed unless mode is keyword).
  /// `index_version`, when given, gets the version of the index the hits were ranked on: on a
  /// shared store the number of the last change-log entry it had applied, else the count of its
  /// local changes (it only grows).
  std::vector<SearchHit> search(std::int64_t id, const SearchRequest& request,
                                const std::vector<float>* query_vector, std::int64_t* index_version = nullptr);
  /// Whether the dataset's vectors come from the embedder this server runs.
  bool has_vectors(const Dataset& dataset) const { return dataset.embedding_model == embedder_->model(); }

  /// Retrieval for a text query, awaited from an IO thread: embeds the query (unless the mode
  /// is keyword), then searches on `compute`. Hybrid falls back to keyword search when the
  /// dataset's vectors come from another embedder; vector mode answers 409 then.
  boost::asio::awaitable<core::Result<std::vector<SearchHit>>> retrieve(const Dataset& dataset,
                                                                        SearchRequest request,
                                                                        core::ComputePool& compute,
                                                                        std::int64_t* index_version = nullptr);
  /// The best of `hits`, in order, as an answer's context within the generator's budget.
  Grounding ground(const std::vector<SearchHit>& hits) const;
  /// Starts the build_embeddings job for dataset `id` unless one is already queued or running
  /// (then that one is returned): one check-then-enqueue at a time. Blocking store calls: run
  /// it on the compute pool.
  jobs::Job process(std::int64_t id, jobs::JobQueue& queue, jobs::EnqueueOptions options);

  /// Writes every index changed since it was last saved (at shutdown).
  void save_all();

 private:
  struct Index;
  std::shared_ptr<Index> index(std::int64_t id);
  std::shared_ptr<Index> load(const Dataset& dataset);
  /// The best chunks for `request` in `index` (filtered to `allowed` when set), with the
  /// change number the index was at.
  std::vector<ScoredChunk> rank(Index& index, const SearchRequest& request, const std::vector<float>* query_vector,
                                const std::unordered_set<std::int64_t>* allowed, std::int64_t& ranked_at);
  /// Applies what other processes logged in a shared store since the index last looked.
  void catch_up(std::int64_t id, Index& index);
  std::vector<ai::Vector> embed(const std::vector<std::string>& texts);
  std::filesystem::path vector_path(const Dataset& dataset) const;
  void save(Index& index);

  DatasetsOptions options_;
  std::shared_ptr<DatasetStore> store_;
  std::shared_ptr<ai::Embedder> embedder_;
  std::mutex indexes_mutex_;  // guards indexes_ (and loading into it)
  std::mutex process_mutex_;  // serialises process()'s "is a job running? else enqueue one"
  std::unordered_map<std::int64_t, std::shared_ptr<Index>> indexes_;
  // A shared store's announcements, applied in the background by `follower_` so that searches
  // rarely find their index behind (they catch up themselves when they do).
  struct Follower;
  std::shared_ptr<Follower> follower_;
  std::thread follower_thread_;
  void follow();
};

/// The text a chunk is indexed and embedded as: its document's title, then the chunk.
std::string indexed_text(std::string_view title, std::string_view text);

}  // namespace sluice::rag
