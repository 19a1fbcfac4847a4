#pragma once
// Nearest neighbours by cosine similarity over unit vectors keyed by chunk id: an exact scan of
// int8 copies re-ranked in float up to a size, HNSW (hnswlib, kept out of this header) beyond
// it. Saved to and loaded from one file (the graph's; the int8 copies are rebuilt on load).

#include "sluice/rag/keyword_index.hpp"

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <unordered_set>
#include <vector>

namespace sluice::rag {

struct VectorIndexOptions {
  std::size_t m = 16;                 // graph degree
  std::size_t ef_construction = 200;  // build-time beam
  std::size_t ef_search = 128;        // search-time beam (at least k)
  /// Up to this many vectors a search scans all of them (int8, then the best re-ranked in
  /// float): recall 1.0 in a few milliseconds. HNSW's greedy walk loses recall where the nearest
  /// neighbours are barely nearer than the rest, as with the built-in embedder (0.54 at 200,000
  /// chunks, ef 128; docs/benchmarks.md), so the graph serves only larger indexes.
  std::size_t exact_scan_up_to = 200'000;
};

/// Not thread-safe for writers: the dataset's index holds its reader/writer lock around it
/// (searches may run together).
class VectorIndex {
 public:
  VectorIndex(std::size_t dimension, VectorIndexOptions options = {});
  ~VectorIndex();
  VectorIndex(const VectorIndex&) = delete;
  VectorIndex& operator=(const VectorIndex&) = delete;

  /// Reads an index saved by save(); nullptr when the file is missing or unreadable.
  static std::unique_ptr<VectorIndex> load(const std::filesystem::path& path, std::size_t dimension,
                                           VectorIndexOptions options = {});
  /// Writes the index atomically (a temporary file renamed over `path`).
  void save(const std::filesystem::path& path) const;

  std::size_t dimension() const { return dimension_; }
  /// Adds (or replaces) a unit vector of dimension() floats.
  void add(std::int64_t id, const float* vector);
  /// Marks `id` deleted: searches skip it (hnswlib keeps the node until compact()).
  void remove(std::int64_t id);
  bool contains(std::int64_t id) const;
  std::size_t size() const;
  /// Ids present and not deleted.
  std::vector<std::int64_t> ids() const;
  /// Rebuilds without the deleted nodes once they outnumber the live ones; true if it did.
  bool compact_if_worth_it();

  /// The `k` nearest by cosine (score = dot product), best first: exact up to
  /// `exact_scan_up_to` vectors, approximate (HNSW) beyond.
  std::vector<ScoredChunk> search(const float* query, std::size_t k) const;
  /// Exact search among `allowed` only (metadata filters: hnswlib 0.6 has no filtered search).
  std::vector<ScoredChunk> search_exact(const float* query, std::size_t k,
                                        const std::unordered_set<std::int64_t>& allowed) const;

 private:
  struct Impl;
  VectorIndex(std::size_t dimension, VectorIndexOptions options, std::unique_ptr<Impl> impl);
  void reserve_one();
  std::vector<ScoredChunk> scan(const float* query, std::size_t k) const;

  std::size_t dimension_;
  VectorIndexOptions options_;
  std::unique_ptr<Impl> impl_;
};

/// `v` scaled to unit length (unchanged when zero).
void normalise(std::vector<float>& v);

}  // namespace sluice::rag
