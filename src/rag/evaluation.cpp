#include "sluice/rag/evaluation.hpp"

#include <algorithm>
#include <cmath>
#include <functional>

namespace sluice::rag {

namespace {
int grade(const Judgements& relevant, const std::string& id) {
  auto it = relevant.find(id);
  return it == relevant.end() ? 0 : std::max(0, it->second);
}
}  // namespace

double ndcg_at(const std::vector<std::string>& ranked, const Judgements& relevant, std::size_t k) {
  double dcg = 0;
  for (std::size_t i = 0; i < std::min(k, ranked.size()); ++i)
    dcg += grade(relevant, ranked[i]) / std::log2(static_cast<double>(i) + 2.0);
  std::vector<int> grades;
  for (const auto& [id, g] : relevant)
    if (g > 0) grades.push_back(g);
  std::sort(grades.begin(), grades.end(), std::greater<>());
  double ideal = 0;
  for (std::size_t i = 0; i < std::min(k, grades.size()); ++i) ideal += grades[i] / std::log2(static_cast<double>(i) + 2.0);
  return ideal > 0 ? dcg / ideal : 0.0;
}

double recall_at(const std::vector<std::string>& ranked, const Judgements& relevant, std::size_t k) {
  std::size_t total = 0, found = 0;
  for (const auto& [id, g] : relevant) total += g > 0;
  if (total == 0) return 0;
  for (std::size_t i = 0; i < std::min(k, ranked.size()); ++i) found += grade(relevant, ranked[i]) > 0;
  return static_cast<double>(found) / static_cast<double>(total);
}

double mrr_at(const std::vector<std::string>& ranked, const Judgements& relevant, std::size_t k) {
  for (std::size_t i = 0; i < std::min(k, ranked.size()); ++i)
    if (grade(relevant, ranked[i]) > 0) return 1.0 / static_cast<double>(i + 1);
  return 0;
}

}  // namespace sluice::rag
