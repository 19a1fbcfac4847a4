#pragma once
// BM25 over chunks: an in-memory inverted index, rebuilt from the store at start and updated as
// chunks come and go (docs/rag.md says why it is not SQLite FTS5).

#include <cstddef>
#include <cstdint>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

namespace sluice::rag {

struct Bm25Params {
  double k1 = 0.9;  // Anserini's BEIR defaults: term frequency saturates early,
  double b = 0.4;   // and long chunks are only mildly penalised
};

struct ScoredChunk {
  std::int64_t chunk = 0;
  double score = 0;
};

/// Not thread-safe: the dataset's index guards it with its reader/writer lock.
class KeywordIndex {
 public:
  explicit KeywordIndex(Bm25Params params = {}) : params_(params) {}

  /// Indexes a chunk with its analysed terms (replacing it if present).
  void add(std::int64_t chunk, const std::vector<std::string>& terms);
  void remove(std::int64_t chunk);
  bool contains(std::int64_t chunk) const { return slots_.contains(chunk); }
  std::size_t size() const { return live_; }

  /// The `k` best chunks for the analysed query terms, best first, by Lucene's BM25:
  /// Σ idf(t) · tf·(k1+1) / (tf + k1·(1 − b + b·len/avglen)), idf = ln(1 + (N − df + 0.5)/(df + 0.5)).
  /// A term repeated in the query counts once per repetition. With `allowed`, only those chunks.
  std::vector<ScoredChunk> search(const std::vector<std::string>& query, std::size_t k,
                                  const std::unordered_set<std::int64_t>* allowed = nullptr) const;

 private:
  struct Posting {
    std::uint32_t slot;
    std::uint32_t tf;
  };
  struct Slot {
    std::int64_t chunk = 0;
    std::uint32_t length = 0;
    bool is_live = false;
    std::vector<std::pair<std::uint32_t, std::uint32_t>> terms;  // (term id, tf), to undo df on removal
  };
  void compact();

  Bm25Params params_;
  std::unordered_map<std::string, std::uint32_t> term_ids_;
  std::vector<std::vector<Posting>> postings_;  // by term id
  std::vector<std::uint32_t> df_;               // live chunks per term id
  std::vector<Slot> slots_list_;
  std::unordered_map<std::int64_t, std::uint32_t> slots_;  // chunk → slot
  std::size_t live_ = 0;
  std::uint64_t total_length_ = 0;  // of live chunks
};

}  // namespace sluice::rag
