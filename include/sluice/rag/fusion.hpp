#pragma once
// Combining ranked lists from several retrievers (keyword and vector) into one.

#include "sluice/rag/keyword_index.hpp"

#include <cstddef>
#include <vector>

namespace sluice::rag {

/// Weighted reciprocal-rank fusion (Cormack et al. 2009): Σ weight/(c + rank), rank from 1, one
/// weight per list. Only ranks count, so retrievers with incomparable scores mix without
/// calibration. Best first, at most `k`.
std::vector<ScoredChunk> fuse_reciprocal_rank(const std::vector<std::vector<ScoredChunk>>& lists,
                                              const std::vector<double>& weights, std::size_t k, double c = 60.0);

/// Each list's scores min-max normalised to [0, 1] (a list with one distinct score maps to 1),
/// then summed with `weights` (one per list); a chunk missing from a list gets 0 there.
std::vector<ScoredChunk> fuse_normalised_scores(const std::vector<std::vector<ScoredChunk>>& lists,
                                                const std::vector<double>& weights, std::size_t k);

}  // namespace sluice::rag
