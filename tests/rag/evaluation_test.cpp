#include "sluice/rag/evaluation.hpp"

#include <gtest/gtest.h>

#include <cmath>

namespace sluice::rag {
namespace {

TEST(Evaluation, NdcgRecallAndMrrByHand) {
  Judgements relevant{{"a", 2}, {"b", 1}, {"z", 0}};
  std::vector<std::string> ranked{"x", "a", "y", "b"};
  // DCG = 2/log2(3) + 1/log2(5); ideal = 2/log2(2) + 1/log2(3).
  double dcg = 2 / std::log2(3.0) + 1 / std::log2(5.0), ideal = 2.0 + 1 / std::log2(3.0);
  EXPECT_NEAR(ndcg_at(ranked, relevant, 10), dcg / ideal, 1e-12);
  EXPECT_NEAR(ndcg_at(ranked, relevant, 2), (2 / std::log2(3.0)) / ideal, 1e-12);
  EXPECT_DOUBLE_EQ(recall_at(ranked, relevant, 10), 1.0);
  EXPECT_DOUBLE_EQ(recall_at(ranked, relevant, 3), 0.5);
  EXPECT_DOUBLE_EQ(mrr_at(ranked, relevant, 10), 0.5);
  EXPECT_DOUBLE_EQ(mrr_at(ranked, relevant, 1), 0.0);
  EXPECT_DOUBLE_EQ(ndcg_at({"a", "b"}, relevant, 10), 1.0);
  EXPECT_DOUBLE_EQ(ndcg_at({"a"}, {}, 10), 0.0);
}

}  // namespace
}  // namespace sluice::rag
