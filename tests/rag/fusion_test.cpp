#include "sluice/rag/fusion.hpp"

#include <gtest/gtest.h>

namespace sluice::rag {
namespace {

std::vector<std::int64_t> ids(const std::vector<ScoredChunk>& hits) {
  std::vector<std::int64_t> out;
  for (const auto& h : hits) out.push_back(h.chunk);
  return out;
}

TEST(Fusion, ReciprocalRankSumsOneOverSixtyPlusRank) {
  std::vector<ScoredChunk> keyword{{1, 10}, {2, 5}, {3, 0.1}}, vector{{3, 0.9}, {1, 0.2}};
  auto fused = fuse_reciprocal_rank({keyword, vector}, {1.0, 1.0}, 10);
  EXPECT_EQ(ids(fused), (std::vector<std::int64_t>{1, 3, 2}));
  EXPECT_NEAR(fused[0].score, 1.0 / 61 + 1.0 / 62, 1e-12);
  EXPECT_NEAR(fused[1].score, 1.0 / 63 + 1.0 / 61, 1e-12);
  EXPECT_NEAR(fused[2].score, 1.0 / 62, 1e-12);
  EXPECT_EQ(fuse_reciprocal_rank({keyword, vector}, {1.0, 1.0}, 2).size(), 2u);
}

TEST(Fusion, ReciprocalRankWeightsEachList) {
  std::vector<ScoredChunk> keyword{{1, 10}, {2, 5}}, vector{{2, 0.9}, {1, 0.2}};
  // The vector list at 0.2: the keyword order wins; the keyword list at 0.2: the vector order.
  auto fused = fuse_reciprocal_rank({keyword, vector}, {1.0, 0.2}, 10);
  EXPECT_EQ(ids(fused), (std::vector<std::int64_t>{1, 2}));
  EXPECT_NEAR(fused[0].score, 1.0 / 61 + 0.2 / 62, 1e-12);
  EXPECT_NEAR(fused[1].score, 1.0 / 62 + 0.2 / 61, 1e-12);
  EXPECT_EQ(ids(fuse_reciprocal_rank({keyword, vector}, {0.2, 1.0}, 10)), (std::vector<std::int64_t>{2, 1}));
}

TEST(Fusion, NormalisedScoresMapEachListToZeroOne) {
  std::vector<ScoredChunk> keyword{{1, 10}, {2, 5}, {3, 0}}, vector{{3, 0.9}, {1, 0.5}, {2, 0.1}};
  auto fused = fuse_normalised_scores({keyword, vector}, {1.0, 1.0}, 10);
  EXPECT_EQ(ids(fused), (std::vector<std::int64_t>{1, 3, 2}));
  EXPECT_NEAR(fused[0].score, 1.0 + 0.5, 1e-12);
  EXPECT_NEAR(fused[1].score, 0.0 + 1.0, 1e-12);
  EXPECT_NEAR(fused[2].score, 0.5 + 0.0, 1e-12);
  // Weights tilt it: the vector list alone decides.
  EXPECT_EQ(ids(fuse_normalised_scores({keyword, vector}, {0.0, 1.0}, 10)), (std::vector<std::int64_t>{3, 1, 2}));
}

TEST(Fusion, EmptyListsAreHarmless) {
  std::vector<ScoredChunk> keyword{{4, 2.0}};
  EXPECT_EQ(ids(fuse_reciprocal_rank({keyword, {}}, {1.0, 1.0}, 5)), (std::vector<std::int64_t>{4}));
  EXPECT_EQ(ids(fuse_normalised_scores({{}, keyword}, {1, 1}, 5)), (std::vector<std::int64_t>{4}));
  EXPECT_TRUE(fuse_reciprocal_rank({{}, {}}, {1.0, 1.0}, 5).empty());
}

}  // namespace
}  // namespace sluice::rag
