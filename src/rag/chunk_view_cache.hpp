#pragma once
// What a serving node keeps of a shared store's chunks so that a search need not fetch its
// passages from the database every time. Safe because a chunk never changes: an edited document
// gets new chunks with new ids (ids are never reused), and a removed chunk leaves the index
// before a search can rank it. Bounded by the bytes of text it holds; past the bound it starts
// over (the popular passages come back at once). Thread-safe.

#include "sluice/rag/dataset_store.hpp"

#include <cstddef>
#include <cstdint>
#include <mutex>
#include <unordered_map>
#include <vector>

namespace sluice::rag {

class ChunkViewCache {
 public:
  explicit ChunkViewCache(std::size_t text_budget) : budget_(text_budget) {}

  /// Copies the cached views of `ids` (chunks of `dataset`) into `found`; returns the ids it
  /// does not hold.
  std::vector<std::int64_t> lookup(std::int64_t dataset, const std::vector<std::int64_t>& ids,
                                   std::unordered_map<std::int64_t, ChunkView>& found) const {
    std::vector<std::int64_t> missing;
    std::lock_guard lock(mutex_);
    for (auto id : ids) {
      auto it = entries_.find(id);
      if (it != entries_.end() && it->second.dataset == dataset) found.emplace(id, it->second.view);
      else missing.push_back(id);
    }
    return missing;
  }

  /// Whether a passage of ordinary size still fits: for filling it ahead of searches, which
  /// should not push out what searches asked for.
  bool has_room() const {
    std::lock_guard lock(mutex_);
    return bytes_ + 4096 <= budget_;
  }

  void insert(std::int64_t dataset, const ChunkView& view) {
    const auto size = view.text.size() + view.title.size() + 256;  // and the metadata, roughly
    std::lock_guard lock(mutex_);
    if (bytes_ + size > budget_) {
      entries_.clear();
      bytes_ = 0;
    }
    if (entries_.try_emplace(view.id, Entry{dataset, view, size}).second) bytes_ += size;
  }

  void forget(const std::vector<std::int64_t>& ids) {
    std::lock_guard lock(mutex_);
    for (auto id : ids) {
      auto it = entries_.find(id);
      if (it == entries_.end()) continue;
      bytes_ -= it->second.size;
      entries_.erase(it);
    }
  }

 private:
  struct Entry {
    std::int64_t dataset;
    ChunkView view;
    std::size_t size;
  };
  mutable std::mutex mutex_;
  std::unordered_map<std::int64_t, Entry> entries_;
  std::size_t bytes_ = 0;
  std::size_t budget_;
};

}  // namespace sluice::rag
