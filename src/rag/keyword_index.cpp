#include "sluice/rag/keyword_index.hpp"

#include <algorithm>
#include <cmath>

namespace sluice::rag {

void KeywordIndex::add(std::int64_t chunk, const std::vector<std::string>& terms) {
  remove(chunk);
  Slot slot{.chunk = chunk, .length = static_cast<std::uint32_t>(terms.size()), .is_live = true, .terms = {}};
  std::unordered_map<std::uint32_t, std::uint32_t> counts;
  for (const auto& term : terms) {
    auto [it, is_new] = term_ids_.try_emplace(term, static_cast<std::uint32_t>(postings_.size()));
    if (is_new) {
      postings_.emplace_back();
      df_.push_back(0);
    }
    ++counts[it->second];
  }
  auto index = static_cast<std::uint32_t>(slots_list_.size());
  for (auto [term, tf] : counts) {
    postings_[term].push_back({index, tf});
    ++df_[term];
    slot.terms.emplace_back(term, tf);
  }
  total_length_ += slot.length;
  ++live_;
  slots_list_.push_back(std::move(slot));
  slots_[chunk] = index;
}

void KeywordIndex::remove(std::int64_t chunk) {
  auto it = slots_.find(chunk);
  if (it == slots_.end()) return;
  auto& slot = slots_list_[it->second];
  for (auto [term, tf] : slot.terms) --df_[term];
  total_length_ -= slot.length;
  --live_;
  slot.is_live = false;
  slot.terms.clear();
  slot.terms.shrink_to_fit();
  slots_.erase(it);
  // Dead postings cost time on every search that touches their terms: rebuild once they are
  // as many as the live chunks.
  if (slots_list_.size() > 1024 && slots_list_.size() > 2 * live_) compact();
}

void KeywordIndex::compact() {
  std::vector<std::uint32_t> new_slot(slots_list_.size(), UINT32_MAX);
  std::vector<Slot> kept;
  kept.reserve(live_);
  for (std::uint32_t i = 0; i < slots_list_.size(); ++i) {
    if (!slots_list_[i].is_live) continue;
    new_slot[i] = static_cast<std::uint32_t>(kept.size());
    slots_[slots_list_[i].chunk] = new_slot[i];
    kept.push_back(std::move(slots_list_[i]));
  }
  slots_list_ = std::move(kept);
  for (auto& list : postings_) {
    std::erase_if(list, [&](const Posting& p) { return new_slot[p.slot] == UINT32_MAX; });
    for (auto& p : list) p.slot = new_slot[p.slot];
  }
}

std::vector<ScoredChunk> KeywordIndex::search(const std::vector<std::string>& query, std::size_t k,
                                              const std::unordered_set<std::int64_t>* allowed) const {
  if (live_ == 0 || k == 0) return {};
  const double n = static_cast<double>(live_);
  const double average = static_cast<double>(total_length_) / n;
  // One accumulator per slot, reused by the thread: a query touches a small part of it.
  thread_local std::vector<float> scores;
  thread_local std::vector<std::uint32_t> touched;
  scores.assign(slots_list_.size(), 0.0f);
  touched.clear();
  for (const auto& term : query) {
    auto it = term_ids_.find(term);
    if (it == term_ids_.end() || df_[it->second] == 0) continue;
    const double df = df_[it->second];
    const double idf = std::log(1.0 + (n - df + 0.5) / (df + 0.5));
    for (const auto& posting : postings_[it->second]) {
      const auto& slot = slots_list_[posting.slot];
      if (!slot.is_live) continue;
      const double tf = posting.tf;
      const double norm = params_.k1 * (1.0 - params_.b + params_.b * slot.length / average);
      if (scores[posting.slot] == 0.0f) touched.push_back(posting.slot);
      scores[posting.slot] += static_cast<float>(idf * tf * (params_.k1 + 1.0) / (tf + norm));
    }
  }
  std::vector<ScoredChunk> hits;
  hits.reserve(touched.size());
  for (auto slot : touched) {
    auto chunk = slots_list_[slot].chunk;
    if (allowed && !allowed->contains(chunk)) continue;
    hits.push_back({chunk, scores[slot]});
  }
  auto better = [](const ScoredChunk& a, const ScoredChunk& b) {
    return a.score != b.score ? a.score > b.score : a.chunk < b.chunk;
  };
  if (hits.size() > k) {
    std::partial_sort(hits.begin(), hits.begin() + static_cast<std::ptrdiff_t>(k), hits.end(), better);
    hits.resize(k);
  } else {
    std::sort(hits.begin(), hits.end(), better);
  }
  return hits;
}

}  // namespace sluice::rag
