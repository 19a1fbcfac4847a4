#include "sluice/rag/keyword_index.hpp"

#include <gtest/gtest.h>

namespace sluice::rag {
namespace {

// Three chunks, average length 3. Hand-computed with k1 = 0.9, b = 0.4:
// idf(a) = ln(1 + (3 − 2 + 0.5)/(2 + 0.5)) = ln 1.6
// chunk 1 (tf 1, len 2): ln 1.6 · 1.9 / (1 + 0.9·(0.6 + 0.4·2/3)) = 0.5016893
// chunk 2 (tf 2, len 3): ln 1.6 · 2·1.9 / (2 + 0.9)               = 0.6158668
KeywordIndex three_chunks() {
  KeywordIndex index;
  index.add(1, {"a", "b"});
  index.add(2, {"a", "a", "c"});
  index.add(3, {"c", "d", "e", "f"});
  return index;
}

TEST(KeywordIndex, ScoresAsLuceneBm25ByHand) {
  auto index = three_chunks();
  auto hits = index.search({"a"}, 10);
  ASSERT_EQ(hits.size(), 2u);
  EXPECT_EQ(hits[0].chunk, 2);
  EXPECT_NEAR(hits[0].score, 0.6158668, 1e-6);
  EXPECT_EQ(hits[1].chunk, 1);
  EXPECT_NEAR(hits[1].score, 0.5016893, 1e-6);
}

TEST(KeywordIndex, SumsTermsAndCutsAtK) {
  auto index = three_chunks();
  auto both = index.search({"a", "c"}, 10);
  ASSERT_EQ(both.size(), 3u);
  EXPECT_EQ(both[0].chunk, 2) << "the only chunk with both terms";
  EXPECT_EQ(index.search({"a", "c"}, 1).size(), 1u);
  EXPECT_TRUE(index.search({"zzz"}, 10).empty());
}

TEST(KeywordIndex, RemovalUpdatesDocumentFrequencyAndLengths) {
  auto index = three_chunks();
  index.remove(2);
  EXPECT_EQ(index.size(), 2u);
  // N = 2, average length (2 + 4)/2 = 3, df(a) = 1: ln 2 · 1.9 / (1 + 0.9·(0.6 + 0.4·2/3)) = 0.7398762
  auto hits = index.search({"a"}, 10);
  ASSERT_EQ(hits.size(), 1u);
  EXPECT_EQ(hits[0].chunk, 1);
  EXPECT_NEAR(hits[0].score, 0.7398762, 1e-6);
  index.add(2, {"a", "a", "c"});  // back, as before
  EXPECT_NEAR(index.search({"a"}, 10)[0].score, 0.6158668, 1e-6);
}

TEST(KeywordIndex, FilterKeepsOnlyAllowedChunks) {
  auto index = three_chunks();
  std::unordered_set<std::int64_t> allowed{1, 3};
  auto hits = index.search({"a", "c"}, 10, &allowed);
  ASSERT_EQ(hits.size(), 2u);
  for (const auto& hit : hits) EXPECT_NE(hit.chunk, 2);
}

TEST(KeywordIndex, CompactsAfterManyRemovalsWithoutChangingScores) {
  KeywordIndex index;
  for (std::int64_t i = 0; i < 3000; ++i) index.add(i, {"common", i % 2 ? "odd" : "even"});
  auto before = index.search({"odd"}, 5);
  for (std::int64_t i = 0; i < 3000; i += 2) index.remove(i);  // every "even" chunk: triggers compaction
  EXPECT_EQ(index.size(), 1500u);
  EXPECT_TRUE(index.search({"even"}, 5).empty());
  auto after = index.search({"odd"}, 5);
  ASSERT_EQ(after.size(), 5u);
  EXPECT_EQ(after[0].chunk, 1);
}

}  // namespace
}  // namespace sluice::rag
