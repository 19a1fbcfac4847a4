#include "sluice/rag/datasets.hpp"

#include "file_upload.hpp"

#include "sluice/rag/analyser.hpp"
#include "sluice/rag/fusion.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cctype>
#include <condition_variable>
#include <shared_mutex>
#include <stdexcept>
#include <unordered_set>

namespace sluice::rag {

namespace asio = boost::asio;
namespace json = boost::json;

/// One dataset's in-memory indexes. `mutex` guards everything here: searches hold it shared,
/// writers (the job's batches, uploads, deletes) exclusively and briefly.
struct Datasets::Index {
  std::shared_mutex mutex;
  KeywordIndex keyword;
  std::unique_ptr<VectorIndex> vectors;  // null when the server's embedder is not the dataset's
  std::unordered_map<std::int64_t, std::int64_t> chunk_document;  // chunk → document key
  std::filesystem::path vector_path;
  bool is_dirty = false;    // vectors changed since the file was written
  bool is_dropped = false;  // the dataset was deleted: never write its file again
  // A shared store's change log: the last change applied (under `mutex`), and one catch-up at
  // a time (searches arriving meanwhile wait, then find nothing left to apply).
  std::int64_t applied_change = 0;
  std::mutex catching_up;
  // What this process changed in the index itself (an embedded store's index version).
  std::int64_t local_changes = 0;
};

std::string indexed_text(std::string_view title, std::string_view text) {
  std::string out;
  out.reserve(title.size() + text.size() + 1);
  out.append(title);
  if (!title.empty() && !text.empty()) out += '\n';
  out.append(text);
  return out;
}

/// What the store's listener (on the database's loop) hands to the follower thread. Shared, so
/// that a late announcement after the Datasets are gone touches only this.
struct Datasets::Follower {
  std::mutex mutex;
  std::condition_variable wake;
  std::unordered_set<std::int64_t> due;  // datasets announced since the follower last looked
  bool is_all_due = false;               // the listener reconnected: anything may have been missed
  bool is_stopping = false;
};

Datasets::Datasets(DatasetsOptions options, std::shared_ptr<DatasetStore> store,
                   std::shared_ptr<ai::Embedder> embedder)
    : options_(std::move(options)), store_(std::move(store)), embedder_(std::move(embedder)) {
  std::filesystem::create_directories(options_.directory);
  if (!store_->is_shared() || !options_.serves_searches) return;
  follower_ = std::make_shared<Follower>();
  std::weak_ptr<Follower> weak = follower_;
  store_->follow_changes(
      [weak](std::int64_t dataset) {
        if (auto follower = weak.lock()) {
          std::lock_guard lock(follower->mutex);
          follower->due.insert(dataset);
          follower->wake.notify_one();
        }
      },
      [weak] {
        if (auto follower = weak.lock()) {
          std::lock_guard lock(follower->mutex);
          follower->is_all_due = true;
          follower->wake.notify_one();
        }
      });
  follower_thread_ = std::thread([this] { follow(); });
}

Datasets::~Datasets() {
  if (!follower_) return;
  {
    std::lock_guard lock(follower_->mutex);
    follower_->is_stopping = true;
    follower_->wake.notify_one();
  }
  follower_thread_.join();
}

void Datasets::follow() {
  while (true) {
    std::unordered_set<std::int64_t> due;
    bool is_all_due = false;
    {
      std::unique_lock lock(follower_->mutex);
      follower_->wake.wait(lock, [&] {
        return follower_->is_stopping || follower_->is_all_due || !follower_->due.empty();
      });
      if (follower_->is_stopping) return;
      due.swap(follower_->due);
      is_all_due = std::exchange(follower_->is_all_due, false);
    }
    // Only the indexes this node has loaded: another is read whole when first searched here.
    std::vector<std::pair<std::int64_t, std::shared_ptr<Index>>> loaded;
    {
      std::lock_guard lock(indexes_mutex_);
      for (const auto& [id, index] : indexes_)
        if (is_all_due || due.contains(id)) loaded.emplace_back(id, index);
    }
    for (const auto& [id, index] : loaded) {
      try {
        catch_up(id, *index);
      } catch (const std::exception& e) {
        // The database is away: the next search catches up itself, or the reconnect marks all due.
        spdlog::debug("dataset {}: catching up failed: {}", id, e.what());
      }
    }
  }
}

std::size_t Datasets::count_tokens(std::string_view text) const {
  if (auto tokens = embedder_->count_tokens(text)) return *tokens;
  // A remote model's tokenizer is not at hand: English runs at about 4/3 tokens per word.
  return (count_words(text) * 4 + 2) / 3;
}

std::filesystem::path Datasets::vector_path(const Dataset& dataset) const {
  std::string model;
  for (char c : dataset.embedding_model)
    model += (std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '.') ? c : '_';
  // A shared store names its data: dataset 3 of another database must not load this file.
  const auto store = store_->identity();
  return options_.directory / ("dataset-" + (store.empty() ? "" : store + "-") + std::to_string(dataset.id) + "-" +
                               model + "-" + std::to_string(embedder_->dimension()) + ".hnsw");
}

Dataset Datasets::create(DatasetSpec spec) {
  if (spec.embedding_model.empty()) spec.embedding_model = embedder_->model();
  return store_->create_dataset(spec);
}

bool Datasets::remove(std::int64_t id) {
  auto dataset = store_->dataset(id);
  if (!dataset) return false;
  {
    std::lock_guard lock(indexes_mutex_);
    if (auto it = indexes_.find(id); it != indexes_.end()) {
      std::unique_lock index_lock(it->second->mutex);
      it->second->is_dropped = true;
      indexes_.erase(it);
    }
  }
  bool existed = store_->delete_dataset(id);
  std::error_code ignored;
  std::filesystem::remove(vector_path(*dataset), ignored);
  return existed;
}

std::shared_ptr<Datasets::Index> Datasets::index(std::int64_t id) {
  std::lock_guard lock(indexes_mutex_);
  if (auto it = indexes_.find(id); it != indexes_.end()) return it->second;
  auto dataset = store_->dataset(id);
  if (!dataset) return nullptr;
  auto loaded = load(*dataset);
  indexes_.emplace(id, loaded);
  return loaded;
}

std::shared_ptr<Datasets::Index> Datasets::load(const Dataset& dataset) {
  auto index = std::make_shared<Index>();
  // Read before the rows: whatever commits while they load is replayed from the log after.
  index->applied_change = store_->last_change(dataset.id);
  store_->for_each_chunk(dataset.id, [&](const Chunk& chunk) {
    index->keyword.add(chunk.id, analyse(indexed_text(chunk.title, chunk.text)));
    index->chunk_document[chunk.id] = chunk.document_key;
  });
  if (!has_vectors(dataset)) return index;
  index->vector_path = vector_path(dataset);
  index->vectors = VectorIndex::load(index->vector_path, embedder_->dimension(), options_.vectors);
  if (!index->vectors) index->vectors = std::make_unique<VectorIndex>(embedder_->dimension(), options_.vectors);
  // The file may be older than the store (a crash between checkpoints and the next save):
  // the store's vectors are the truth, the file only saves re-inserting them.
  auto stored = store_->embedded_chunk_ids(dataset.id);
  std::unordered_set<std::int64_t> wanted(stored.begin(), stored.end());
  std::vector<std::int64_t> missing;
  for (auto chunk : stored)
    if (!index->vectors->contains(chunk)) missing.push_back(chunk);
  std::size_t dropped = 0;
  for (auto chunk : index->vectors->ids())
    if (!wanted.contains(chunk)) {
      index->vectors->remove(chunk);
      ++dropped;
    }
  store_->for_each_vector(dataset.id, missing, [&](std::int64_t chunk, const float* vector, std::size_t size) {
    if (size == embedder_->dimension()) index->vectors->add(chunk, vector);
  });
  index->is_dirty = !missing.empty() || dropped > 0;
  catch_up(dataset.id, *index);
  spdlog::info("dataset {}: {} chunks, {} vectors ({} added from the store, {} dropped)", dataset.id,
               index->keyword.size(), index->vectors->size(), missing.size(), dropped);
  return index;
}

void Datasets::catch_up(std::int64_t id, Index& index) {
  if (!store_->is_shared()) return;
  std::lock_guard one_at_a_time(index.catching_up);
  constexpr std::size_t kBatch = 1'000;
  std::int64_t from = 0;
  {
    std::shared_lock lock(index.mutex);
    from = index.applied_change;
  }
  while (true) {
    auto changes = store_->changes_since(id, from, kBatch);
    if (changes.empty()) return;
    // Fetch what the changes need outside the lock; apply them in order inside it. Every step
    // is idempotent (chunk ids are never reused), so rows loaded after `from` may repeat here.
    std::vector<std::int64_t> added, embedded;
    for (const auto& change : changes) {
      auto& ids = change.kind == IndexChange::Kind::chunks_added ? added : embedded;
      if (change.kind != IndexChange::Kind::chunks_removed) ids.insert(ids.end(), change.chunks.begin(), change.chunks.end());
    }
    std::unordered_map<std::int64_t, std::pair<std::int64_t, std::vector<std::string>>> chunks;  // id → document, terms
    for (const auto& chunk : store_->chunks(id, added))
      chunks.emplace(chunk.id, std::pair{chunk.document_key, analyse(indexed_text(chunk.title, chunk.text))});
    std::unordered_map<std::int64_t, std::vector<float>> vectors;
    if (embedded.size() > 0 && index.vectors)
      store_->for_each_vector(id, embedded, [&](std::int64_t chunk, const float* vector, std::size_t size) {
        if (size == embedder_->dimension()) vectors.emplace(chunk, std::vector<float>(vector, vector + size));
      });
    std::unique_lock lock(index.mutex);
    if (index.is_dropped) return;
    for (const auto& change : changes) {
      for (auto chunk : change.chunks) {
        switch (change.kind) {
          case IndexChange::Kind::chunks_added:
            if (auto it = chunks.find(chunk); it != chunks.end() && !index.keyword.contains(chunk)) {
              index.keyword.add(chunk, it->second.second);
              index.chunk_document[chunk] = it->second.first;
            }
            break;
          case IndexChange::Kind::vectors_added:
            if (auto it = vectors.find(chunk); it != vectors.end() && index.keyword.contains(chunk) &&
                                               !index.vectors->contains(chunk)) {
              index.vectors->add(chunk, it->second.data());
              index.is_dirty = true;
            }
            break;
          case IndexChange::Kind::chunks_removed:
            index.keyword.remove(chunk);
            index.chunk_document.erase(chunk);
            if (index.vectors) index.vectors->remove(chunk);
            index.is_dirty = true;
            break;
        }
      }
    }
    from = index.applied_change = std::max(index.applied_change, changes.back().seq);
    if (changes.size() < kBatch) return;
  }
}

void Datasets::save(Index& index) {
  // The caller holds index.mutex.
  if (index.is_dropped || !index.vectors || !index.is_dirty) return;
  index.vectors->compact_if_worth_it();
  index.vectors->save(index.vector_path);
  index.is_dirty = false;
}

void Datasets::save_all() {
  std::vector<std::shared_ptr<Index>> all;
  {
    std::lock_guard lock(indexes_mutex_);
    for (auto& [id, index] : indexes_) all.push_back(index);
  }
  for (auto& index : all) {
    std::unique_lock lock(index->mutex);
    save(*index);
  }
}

UpsertResult Datasets::upload(std::int64_t id, const std::vector<DocumentInput>& documents) {
  auto index_of = index(id);
  auto result = store_->upsert_documents(id, documents);
  if (index_of && !result.removed_chunks.empty()) {
    std::unique_lock lock(index_of->mutex);
    for (auto chunk : result.removed_chunks) {
      index_of->keyword.remove(chunk);
      index_of->chunk_document.erase(chunk);
      if (index_of->vectors) index_of->vectors->remove(chunk);
    }
    index_of->is_dirty = true;
    ++index_of->local_changes;
  }
  return result;
}

bool Datasets::delete_document(std::int64_t id, const std::string& document_id) {
  auto index_of = index(id);
  auto removed = store_->delete_document(id, document_id);
  if (!removed) return false;
  if (index_of) {
    std::unique_lock lock(index_of->mutex);
    for (auto chunk : *removed) {
      index_of->keyword.remove(chunk);
      index_of->chunk_document.erase(chunk);
      if (index_of->vectors) index_of->vectors->remove(chunk);
    }
    index_of->is_dirty = true;
    ++index_of->local_changes;
  }
  return true;
}

std::vector<ai::Vector> Datasets::embed(const std::vector<std::string>& texts) {
  // A local model runs right here: the job already holds a compute thread, and it hands the
  // model full batches itself. Queueing behind the Batcher from a compute thread could wait for
  // a thread that every running job holds.
  if (auto vectors = embedder_->embed_on_this_thread(texts)) return std::move(*vectors);
  // A remote model: its await needs no compute thread, so run it on a private event loop.
  asio::io_context loop;
  std::optional<core::Result<ai::Embeddings>> answer;
  std::exception_ptr failure;
  auto call = [&]() -> asio::awaitable<void> {
    auto result = co_await embedder_->embed(texts);
    answer.emplace(std::move(result));
  };
  asio::co_spawn(loop, call(), [&](std::exception_ptr e) { failure = e; });
  loop.run();
  if (failure) std::rethrow_exception(failure);
  if (!*answer) throw std::runtime_error("embedding failed: " + answer->error().message);
  return std::move((*answer)->vectors);
}

json::value Datasets::build(std::int64_t id, jobs::JobContext& job) {
  // A dataset deleted before or while its job runs ends the job: nothing is left to do, and
  // retrying would not change that.
  auto deleted = [&] { return json::value{{"dataset_id", id}, {"dataset_deleted", true}}; };
  auto dataset = store_->dataset(id);
  if (!dataset) return deleted();
  if (!has_vectors(*dataset))
    throw std::invalid_argument("dataset " + std::to_string(id) + " is embedded with '" + dataset->embedding_model +
                                "' but this server embeds with '" + embedder_->model() + "'");
  // A process that serves no searches (`sluice worker` on a shared store) only writes the store.
  std::shared_ptr<Index> index_of;
  if (options_.serves_searches) {
    index_of = index(id);
    if (!index_of) return deleted();
  }
  const ChunkerOptions chunking{.size = dataset->chunk_size, .overlap = dataset->chunk_overlap};
  auto counter = [this](std::string_view text) { return count_tokens(text); };

  // Phase 1: chunk pending documents, a transaction per batch of documents.
  std::size_t chunked_documents = 0;
  job.progress(0, "chunking documents");
  while (true) {
    job.throw_if_cancelled();
    auto pending = store_->pending_documents(id, options_.chunk_batch);
    if (pending.empty()) break;
    if (!store_->dataset(id)) return deleted();
    std::vector<std::pair<Document, std::vector<ChunkDraft>>> chunked;
    for (auto& document : pending) {
      auto drafts = chunk_text(document.text, chunking, counter);
      document.text.clear();
      chunked.emplace_back(std::move(document), std::move(drafts));
    }
    auto stored = store_->store_chunks(id, chunked);
    chunked_documents += pending.size();
    if (!index_of) continue;
    std::vector<std::vector<std::string>> terms;
    terms.reserve(stored.size());
    for (const auto& chunk : stored) terms.push_back(analyse(indexed_text(chunk.title, chunk.text)));
    std::unique_lock lock(index_of->mutex);
    for (std::size_t i = 0; i < stored.size(); ++i) {
      index_of->keyword.add(stored[i].id, terms[i]);
      index_of->chunk_document[stored[i].id] = stored[i].document_key;
    }
    ++index_of->local_changes;
  }

  // Phase 2: embed chunks without vectors; each batch's vectors are the checkpoint.
  auto counts = store_->counts(id);
  auto total = counts.chunks;
  auto done = counts.indexed_chunks;
  std::size_t embedded = 0;
  job.progress(total > 0 ? static_cast<double>(done) / static_cast<double>(total) : 0.0,
               std::to_string(done) + "/" + std::to_string(total) + " chunks");
  while (true) {
    job.throw_if_cancelled();
    auto batch = store_->unembedded_chunks(id, options_.embed_batch);
    if (batch.empty()) break;
    if (!store_->dataset(id)) return deleted();
    std::vector<std::string> texts;
    texts.reserve(batch.size());
    for (const auto& chunk : batch) texts.push_back(indexed_text(chunk.title, chunk.text));
    auto vectors = embed(texts);
    if (vectors.size() != batch.size()) throw std::runtime_error("the embedder returned a wrong number of vectors");
    std::vector<std::pair<std::int64_t, std::vector<float>>> rows;
    rows.reserve(batch.size());
    for (std::size_t i = 0; i < batch.size(); ++i) {
      if (vectors[i].size() != embedder_->dimension()) throw std::runtime_error("the embedder's dimension changed");
      normalise(vectors[i]);
      rows.emplace_back(batch[i].id, std::move(vectors[i]));
    }
    store_->store_vectors(id, rows);
    if (index_of) {
      std::unique_lock lock(index_of->mutex);
      if (index_of->is_dropped) return deleted();
      for (const auto& [chunk, vector] : rows)
        if (index_of->keyword.contains(chunk)) index_of->vectors->add(chunk, vector.data());
      index_of->is_dirty = true;
      ++index_of->local_changes;
    }
    embedded += batch.size();
    done += static_cast<std::int64_t>(batch.size());
    total = std::max(total, done);
    job.progress(static_cast<double>(done) / static_cast<double>(total),
                 std::to_string(done) + "/" + std::to_string(total) + " chunks");
  }
  if (index_of) {
    std::unique_lock lock(index_of->mutex);
    if (index_of->is_dropped) return deleted();
    save(*index_of);
  }
  counts = store_->counts(id);
  spdlog::info("build_embeddings({}): {} documents chunked, {} chunks embedded, {} chunks in all", id,
               chunked_documents, embedded, counts.chunks);
  return json::value{{"dataset_id", id},
                     {"documents_chunked", chunked_documents},
                     {"chunks_embedded", embedded},
                     {"chunks", counts.chunks},
                     {"indexed_chunks", counts.indexed_chunks}};
}

std::vector<ScoredChunk> Datasets::rank(Index& index, const SearchRequest& request,
                                        const std::vector<float>* query_vector,
                                        const std::unordered_set<std::int64_t>* allowed, std::int64_t& ranked_at) {
  // Grouping needs more chunks than results (several may come from one document); fusion
  // works on deeper lists than it returns.
  const std::size_t wanted = request.group_by_document ? std::min<std::size_t>(request.k * 5, 1000) : request.k;
  const std::size_t depth = request.mode == SearchMode::hybrid ? std::max<std::size_t>(wanted, 100) : wanted;
  std::vector<ScoredChunk> ranked;
  std::shared_lock lock(index.mutex);
  ranked_at = store_->is_shared() ? index.applied_change : index.local_changes;
  std::vector<ScoredChunk> keyword, vector;
  if (request.mode != SearchMode::vector) {
    auto terms = analyse(request.query);
    keyword = index.keyword.search(terms, depth, allowed);
  }
  if (request.mode != SearchMode::keyword && index.vectors && query_vector) {
    std::vector<float> query = *query_vector;
    normalise(query);
    vector = allowed ? index.vectors->search_exact(query.data(), depth, *allowed)
                     : index.vectors->search(query.data(), depth);
  }
  if (request.mode == SearchMode::keyword) ranked = std::move(keyword);
  else if (request.mode == SearchMode::vector) ranked = std::move(vector);
  else {
    const std::vector<double> weights{1.0, request.vector_weight.value_or(options_.vector_weight)};
    ranked = request.fusion == Fusion::reciprocal_rank ? fuse_reciprocal_rank({keyword, vector}, weights, wanted)
                                                       : fuse_normalised_scores({keyword, vector}, weights, wanted);
  }
  std::unordered_set<std::int64_t> documents;
  std::vector<ScoredChunk> kept;
  for (const auto& hit : ranked) {
    if (kept.size() == request.k) break;
    if (request.group_by_document) {
      auto it = index.chunk_document.find(hit.chunk);
      if (it == index.chunk_document.end() || !documents.insert(it->second).second) continue;
    }
    kept.push_back(hit);
  }
  return kept;
}

std::vector<SearchHit> Datasets::search(std::int64_t id, const SearchRequest& request,
                                        const std::vector<float>* query_vector, std::int64_t* index_version) {
  auto index_of = index(id);
  if (!index_of) return {};
  std::optional<std::unordered_set<std::int64_t>> allowed;
  if (!request.filter.empty()) {
    auto ids = store_->chunks_matching(id, request.filter);
    allowed.emplace(ids.begin(), ids.end());
  }
  // A shared store may have changed since the index last caught up: its change number is read
  // while the index ranks (the round trip overlaps the ranking), and a ranking made on an
  // older index is made again after catching up. Read after the request came, so a search
  // sent after a job succeeded sees what the job wrote.
  auto change = store_->last_change_started(id);
  std::int64_t ranked_at = 0;
  auto ranked = rank(*index_of, request, query_vector, allowed ? &*allowed : nullptr, ranked_at);
  auto seen = change.get();
  if (!seen) return {};  // the dataset was deleted on another node
  if (*seen > ranked_at) {
    catch_up(id, *index_of);
    ranked = rank(*index_of, request, query_vector, allowed ? &*allowed : nullptr, ranked_at);
  }
  if (index_version) *index_version = ranked_at;
  std::vector<std::int64_t> chosen;
  for (const auto& hit : ranked) chosen.push_back(hit.chunk);
  auto views = store_->chunk_views(id, chosen);
  std::unordered_map<std::int64_t, double> scores;
  for (const auto& hit : ranked) scores[hit.chunk] = hit.score;
  std::vector<SearchHit> hits;
  hits.reserve(views.size());
  for (auto& view : views) {
    auto score = scores[view.id];
    set_chunk_pages(view.metadata, view.start, view.end);  // a PDF's passage names its page
    hits.push_back({std::move(view), score});
  }
  return hits;
}

}  // namespace sluice::rag
