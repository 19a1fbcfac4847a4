#include "sluice/rag/vector_index.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <random>
#include <unistd.h>

namespace sluice::rag {
namespace {

constexpr std::size_t kDim = 32;

std::vector<std::vector<float>> random_vectors(std::size_t n, unsigned seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> normal;
  std::vector<std::vector<float>> out(n, std::vector<float>(kDim));
  for (auto& v : out) {
    for (auto& x : v) x = normal(rng);
    normalise(v);
  }
  return out;
}

std::filesystem::path temporary_file(const std::string& name) {
  auto dir = std::filesystem::temp_directory_path() / ("sluice-vector-test-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  return dir / name;
}

TEST(VectorIndex, FindsAStoredVectorFirstWithCosineOne) {
  auto vectors = random_vectors(500, 1);
  VectorIndex index(kDim);
  for (std::size_t i = 0; i < vectors.size(); ++i) index.add(static_cast<std::int64_t>(i + 1), vectors[i].data());
  EXPECT_EQ(index.size(), 500u);
  for (std::size_t i : {0u, 17u, 499u}) {
    auto hits = index.search(vectors[i].data(), 5);
    ASSERT_EQ(hits.size(), 5u);
    EXPECT_EQ(hits[0].chunk, static_cast<std::int64_t>(i + 1));
    EXPECT_NEAR(hits[0].score, 1.0, 1e-4);
    EXPECT_GE(hits[0].score, hits[4].score);
  }
}

TEST(VectorIndex, RemovedVectorsAreNotFound) {
  auto vectors = random_vectors(100, 2);
  VectorIndex index(kDim);
  for (std::size_t i = 0; i < vectors.size(); ++i) index.add(static_cast<std::int64_t>(i + 1), vectors[i].data());
  index.remove(8);
  EXPECT_FALSE(index.contains(8));
  EXPECT_EQ(index.size(), 99u);
  for (const auto& hit : index.search(vectors[7].data(), 100)) EXPECT_NE(hit.chunk, 8);
  index.add(8, vectors[7].data());  // back again
  EXPECT_EQ(index.search(vectors[7].data(), 1).at(0).chunk, 8);
}

TEST(VectorIndex, SavedIndexLoadsWithTheSameAnswersAndTakesUpdates) {
  auto vectors = random_vectors(300, 3);
  auto path = temporary_file("persist.hnsw");
  std::vector<ScoredChunk> before;
  {
    VectorIndex index(kDim);
    for (std::size_t i = 0; i < 200; ++i) index.add(static_cast<std::int64_t>(i + 1), vectors[i].data());
    index.remove(5);
    before = index.search(vectors[10].data(), 10);
    index.save(path);
  }
  auto loaded = VectorIndex::load(path, kDim);
  ASSERT_TRUE(loaded);
  EXPECT_EQ(loaded->size(), 199u);
  EXPECT_FALSE(loaded->contains(5));
  auto after = loaded->search(vectors[10].data(), 10);
  ASSERT_EQ(after.size(), before.size());
  for (std::size_t i = 0; i < after.size(); ++i) EXPECT_EQ(after[i].chunk, before[i].chunk);
  // Incremental: new vectors past the loaded capacity, and a deletion.
  for (std::size_t i = 200; i < 300; ++i) loaded->add(static_cast<std::int64_t>(i + 1), vectors[i].data());
  loaded->remove(11);
  EXPECT_EQ(loaded->size(), 298u);
  EXPECT_EQ(loaded->search(vectors[250].data(), 1).at(0).chunk, 251);
  EXPECT_FALSE(VectorIndex::load(path, kDim + 1)) << "a file of another dimension is refused";
  EXPECT_FALSE(VectorIndex::load(temporary_file("missing.hnsw"), kDim));
  std::filesystem::remove_all(path.parent_path());
}

TEST(VectorIndex, CompactionDropsDeletedNodesAndKeepsTheRest) {
  auto vectors = random_vectors(600, 4);
  VectorIndex index(kDim);
  for (std::size_t i = 0; i < vectors.size(); ++i) index.add(static_cast<std::int64_t>(i + 1), vectors[i].data());
  for (std::int64_t id = 1; id <= 400; ++id) index.remove(id);
  EXPECT_TRUE(index.compact_if_worth_it());
  EXPECT_EQ(index.size(), 200u);
  EXPECT_EQ(index.ids().front(), 401);
  EXPECT_EQ(index.search(vectors[500].data(), 1).at(0).chunk, 501);
}

TEST(VectorIndex, ExactSearchStaysInsideTheAllowedSet) {
  auto vectors = random_vectors(50, 5);
  VectorIndex index(kDim);
  for (std::size_t i = 0; i < vectors.size(); ++i) index.add(static_cast<std::int64_t>(i + 1), vectors[i].data());
  std::unordered_set<std::int64_t> allowed{3, 4, 5};
  auto hits = index.search_exact(vectors[3].data(), 10, allowed);
  ASSERT_EQ(hits.size(), 3u);
  EXPECT_EQ(hits[0].chunk, 4);
  for (const auto& h : hits) EXPECT_TRUE(allowed.contains(h.chunk));
}

std::vector<std::int64_t> brute_force_top(const std::vector<std::vector<float>>& vectors, const float* query,
                                          std::size_t k) {
  std::vector<std::pair<double, std::int64_t>> scored;
  for (std::size_t i = 0; i < vectors.size(); ++i) {
    double dot = 0;
    for (std::size_t d = 0; d < kDim; ++d) dot += static_cast<double>(vectors[i][d]) * query[d];
    scored.emplace_back(-dot, static_cast<std::int64_t>(i + 1));
  }
  std::partial_sort(scored.begin(), scored.begin() + static_cast<std::ptrdiff_t>(k), scored.end());
  std::vector<std::int64_t> ids;
  for (std::size_t i = 0; i < k; ++i) ids.push_back(scored[i].second);
  return ids;
}

TEST(VectorIndex, UpToItsScanSizeSearchIsExact) {
  auto vectors = random_vectors(5000, 6);
  VectorIndex index(kDim);
  for (std::size_t i = 0; i < vectors.size(); ++i) index.add(static_cast<std::int64_t>(i + 1), vectors[i].data());
  index.remove(brute_force_top(vectors, vectors[0].data(), 2)[1]);  // removed rows are skipped by the scan
  vectors[0] = vectors[1];  // ... and a replaced row is scanned as it is now
  index.add(1, vectors[0].data());
  for (const auto& query : random_vectors(50, 7)) {
    auto hits = index.search(query.data(), 10);
    std::vector<std::int64_t> found;
    for (const auto& hit : hits) found.push_back(hit.chunk);
    auto expected = brute_force_top(vectors, query.data(), 11);
    expected.erase(std::remove_if(expected.begin(), expected.end(), [&](auto id) { return !index.contains(id); }),
                   expected.end());
    expected.resize(10);
    EXPECT_EQ(found, expected);
    EXPECT_NEAR(hits[0].score,
                [&] {
                  double dot = 0;
                  for (std::size_t d = 0; d < kDim; ++d)
                    dot += static_cast<double>(vectors[static_cast<std::size_t>(found[0] - 1)][d]) * query[d];
                  return dot;
                }(),
                1e-6);
  }
}

TEST(VectorIndex, BeyondItsScanSizeTheGraphAnswers) {
  auto vectors = random_vectors(500, 8);
  VectorIndex index(kDim, {.exact_scan_up_to = 100});
  for (std::size_t i = 0; i < vectors.size(); ++i) index.add(static_cast<std::int64_t>(i + 1), vectors[i].data());
  index.remove(42);
  for (std::size_t i : {0u, 250u, 499u}) {
    auto hits = index.search(vectors[i].data(), 5);
    ASSERT_EQ(hits.size(), 5u);
    EXPECT_EQ(hits[0].chunk, static_cast<std::int64_t>(i + 1));
    for (const auto& hit : hits) EXPECT_NE(hit.chunk, 42);
  }
}

}  // namespace
}  // namespace sluice::rag
