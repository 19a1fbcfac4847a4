#include "sluice/rag/fusion.hpp"

#include <algorithm>
#include <unordered_map>

namespace sluice::rag {

namespace {
std::vector<ScoredChunk> best(std::unordered_map<std::int64_t, double>& totals, std::size_t k) {
  std::vector<ScoredChunk> fused;
  fused.reserve(totals.size());
  for (auto [chunk, score] : totals) fused.push_back({chunk, score});
  auto better = [](const ScoredChunk& a, const ScoredChunk& b) {
    return a.score != b.score ? a.score > b.score : a.chunk < b.chunk;
  };
  std::sort(fused.begin(), fused.end(), better);
  if (fused.size() > k) fused.resize(k);
  return fused;
}
}  // namespace

std::vector<ScoredChunk> fuse_reciprocal_rank(const std::vector<std::vector<ScoredChunk>>& lists,
                                              const std::vector<double>& weights, std::size_t k, double c) {
  std::unordered_map<std::int64_t, double> totals;
  for (std::size_t l = 0; l < lists.size(); ++l) {
    const auto& list = lists[l];
    double weight = l < weights.size() ? weights[l] : 1.0;
    for (std::size_t rank = 0; rank < list.size(); ++rank)
      totals[list[rank].chunk] += weight / (c + static_cast<double>(rank + 1));
  }
  return best(totals, k);
}

std::vector<ScoredChunk> fuse_normalised_scores(const std::vector<std::vector<ScoredChunk>>& lists,
                                                const std::vector<double>& weights, std::size_t k) {
  std::unordered_map<std::int64_t, double> totals;
  for (std::size_t l = 0; l < lists.size(); ++l) {
    const auto& list = lists[l];
    if (list.empty()) continue;
    auto [low, high] = std::minmax_element(list.begin(), list.end(),
                                           [](const auto& a, const auto& b) { return a.score < b.score; });
    double range = high->score - low->score;
    double weight = l < weights.size() ? weights[l] : 1.0;
    for (const auto& hit : list)
      totals[hit.chunk] += weight * (range > 0 ? (hit.score - low->score) / range : 1.0);
  }
  return best(totals, k);
}

}  // namespace sluice::rag
