#include "sluice/ai/embedding_model.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <numeric>

namespace sluice::ai {
namespace {

float dot(const Vector& a, const Vector& b) { return std::inner_product(a.begin(), a.end(), b.begin(), 0.0f); }

TEST(BuiltinEmbedder, AParaphraseRanksAboveAnUnrelatedText) {
  BuiltinEmbeddingModel model;
  struct Case {
    std::string query, paraphrase, unrelated;
  };
  std::vector<Case> cases{
      {"How do I reset my password?", "Steps to reset a forgotten password", "The weather in Paris is sunny today"},
      {"rate limiting protects expensive endpoints", "expensive endpoints are protected by rate limits",
       "cats sleep most of the day"},
      {"Sluice batches embedding requests", "embeddings are computed in batches by sluice",
       "the recipe needs two eggs and flour"},
  };
  for (const auto& c : cases) {
    auto v = model.embed_batch({c.query, c.paraphrase, c.unrelated});
    EXPECT_GT(dot(v[0], v[1]), dot(v[0], v[2]) + 0.1f) << c.query;
  }
}

TEST(BuiltinEmbedder, VectorsHaveUnitLengthAndTheConfiguredDimension) {
  for (std::size_t dim : {384u, 64u}) {
    BuiltinEmbeddingModel model({.dimension = dim});
    auto v = model.embed_batch({"hello world", "a longer text about vectors and their lengths"});
    ASSERT_EQ(v.size(), 2u);
    for (const auto& x : v) {
      EXPECT_EQ(x.size(), dim);
      EXPECT_NEAR(dot(x, x), 1.0f, 1e-4f);
    }
  }
}

TEST(BuiltinEmbedder, IsDeterministicAcrossInstancesAndBatchSizes) {
  BuiltinEmbeddingModel a, b;
  std::vector<std::string> texts{"one", "two words", "three words here", "four", "five six", "seven"};
  auto batch = a.embed_batch(texts);
  for (std::size_t i = 0; i < texts.size(); ++i) {
    auto alone = b.embed_batch({texts[i]});
    ASSERT_EQ(alone[0].size(), batch[i].size());
    for (std::size_t d = 0; d < alone[0].size(); ++d) EXPECT_NEAR(alone[0][d], batch[i][d], 1e-6f);
  }
}

TEST(BuiltinEmbedder, DifferentSeedsGiveDifferentVectors) {
  BuiltinEmbeddingModel a, b({.seed = 7});
  auto x = a.embed_batch({"hello world"})[0], y = b.embed_batch({"hello world"})[0];
  EXPECT_LT(dot(x, y), 0.9f);
}

TEST(BuiltinEmbedder, EmptyTextIsTheZeroVector) {
  BuiltinEmbeddingModel model({.dimension = 8});
  auto v = model.embed_batch({""});
  EXPECT_EQ(v[0], Vector(8, 0.0f));
  EXPECT_EQ(model.count_tokens(""), 0u);
  EXPECT_EQ(model.count_tokens("two words"), 2u);
}

TEST(BuiltinEmbedder, TruncationKeepsUnitLength) {
  BuiltinEmbeddingModel model;
  auto v = truncate_and_normalise(model.embed_batch({"some text to embed"})[0], 32);
  ASSERT_EQ(v.size(), 32u);
  EXPECT_NEAR(dot(v, v), 1.0f, 1e-4f);
}

}  // namespace
}  // namespace sluice::ai
