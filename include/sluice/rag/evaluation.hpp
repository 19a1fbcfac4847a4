#pragma once
// Retrieval quality measures, as BEIR computes them (trec_eval's definitions).

#include <map>
#include <string>
#include <vector>

namespace sluice::rag {

/// Graded relevance of documents for one query: document id → grade (> 0 relevant).
using Judgements = std::map<std::string, int>;

/// nDCG@k with gain = grade and discount 1/log2(rank + 1); 0 when nothing is relevant.
double ndcg_at(const std::vector<std::string>& ranked, const Judgements& relevant, std::size_t k);
/// Share of the relevant documents found in the first k.
double recall_at(const std::vector<std::string>& ranked, const Judgements& relevant, std::size_t k);
/// 1/rank of the first relevant document within the first k, else 0.
double mrr_at(const std::vector<std::string>& ranked, const Judgements& relevant, std::size_t k);

}  // namespace sluice::rag
