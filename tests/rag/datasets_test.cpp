// Datasets as a whole, on a real SQLite store and the built-in embedder: indexing, search,
// updates and deletions reaching results, and indexes reloaded from disk.
#include "sluice/rag/datasets.hpp"

#include "sluice/ai/batcher.hpp"
#include "sluice/ai/model_routers.hpp"
#include "sluice/jobs/job_store.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <algorithm>
#include <unistd.h>

namespace sluice::rag {
namespace {

class DatasetsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("sluice-datasets-test-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    jobs_ = jobs::open_sqlite_store((dir_ / "jobs.db").string());
    auto model = std::make_shared<const ai::BuiltinEmbeddingModel>(ai::BuiltinEmbedderOptions{.dimension = 64});
    embedder_ = std::make_shared<ai::BatchedEmbedder>(std::make_shared<ai::Batcher>(model, compute_));
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::unique_ptr<Datasets> open() {
    return std::make_unique<Datasets>(DatasetsOptions{.directory = dir_, .embed_batch = 2},
                                      open_sqlite_dataset_store((dir_ / "rag.db").string()), embedder_);
  }

  boost::json::value build(Datasets& datasets, std::int64_t id) {
    jobs::Claim claim{.job = jobs::make_queued_job("build_embeddings", {{"dataset_id", id}}, {}, jobs::now_ms()),
                      .token = "t"};
    jobs::JobContext context(claim, *jobs_);
    return datasets.build(id, context);
  }

  static std::vector<std::string> documents_of(const std::vector<SearchHit>& hits) {
    std::vector<std::string> ids;
    for (const auto& h : hits) ids.push_back(h.chunk.document_id);
    return ids;
  }

  std::vector<float> embed(const std::string& text) {
    return embedder_->batcher().model().embed_batch({text}).at(0);
  }

  std::filesystem::path dir_;
  core::ComputePool compute_{1};
  std::shared_ptr<jobs::JobStore> jobs_;
  std::shared_ptr<ai::BatchedEmbedder> embedder_;
};

std::vector<DocumentInput> corpus() {
  return {{"cats", "Cats", "Cats sleep most of the day and purr when content.", {{"kind", "animal"}}},
          {"rust", "Rust", "Iron rusts when oxygen and water meet its surface.", {{"kind", "chemistry"}}},
          {"tea", "Tea", "Green tea is brewed with water below boiling.", {{"kind", "drink"}}}};
}

TEST_F(DatasetsTest, IndexesThenFindsByKeywordVectorAndHybrid) {
  auto datasets = open();
  auto dataset = datasets->create({.name = "d"});
  auto uploaded = datasets->upload(dataset.id, corpus());
  EXPECT_EQ(uploaded.added, 3u);
  auto result = build(*datasets, dataset.id);
  EXPECT_EQ(result.at("chunks"), 3);
  EXPECT_EQ(result.at("indexed_chunks"), 3);
  auto counts = datasets->store().counts(dataset.id);
  EXPECT_EQ(counts.pending_documents, 0);
  auto query = embed("why does iron rust");
  for (auto mode : {SearchMode::keyword, SearchMode::vector, SearchMode::hybrid}) {
    auto hits = datasets->search(dataset.id, {.query = "why does iron rust", .k = 2, .mode = mode}, &query);
    ASSERT_FALSE(hits.empty());
    EXPECT_EQ(hits[0].chunk.document_id, "rust");
    EXPECT_EQ(hits[0].chunk.title, "Rust");
    EXPECT_EQ(hits[0].chunk.metadata.at("kind"), "chemistry");
  }
  auto filtered = datasets->search(
      dataset.id, {.query = "water", .k = 5, .mode = SearchMode::hybrid, .filter = {{"kind", "drink"}}}, &query);
  EXPECT_EQ(documents_of(filtered), std::vector<std::string>{"tea"});
}

// With several --embedding-model files the embedder is an EmbedderRouter. Datasets must still
// count chunk tokens with the default model's tokenizer and run the indexing job's embeddings
// on the job's own thread (not queued behind the batcher, which from a compute thread can wait
// for a thread every running job holds).
TEST_F(DatasetsTest, ARouterOfEmbeddersCountsTokensAndEmbedsOnTheJobsThread) {
  auto other = std::make_shared<ai::BatchedEmbedder>(std::make_shared<ai::Batcher>(
      std::make_shared<const ai::BuiltinEmbeddingModel>(ai::BuiltinEmbedderOptions{.name = "other", .dimension = 64}),
      compute_));
  auto router = std::make_shared<ai::EmbedderRouter>(std::vector<std::shared_ptr<ai::Embedder>>{embedder_, other});
  Datasets datasets(DatasetsOptions{.directory = dir_, .embed_batch = 2},
                    open_sqlite_dataset_store((dir_ / "rag.db").string()), router);
  const std::string text = "Cats sleep most of the day and purr when content.";
  const auto model_tokens = embedder_->batcher().model().count_tokens(text);
  ASSERT_NE(model_tokens, (10u * 4 + 2) / 3) << "the word estimate would hide the difference";
  EXPECT_EQ(datasets.count_tokens(text), model_tokens);

  auto id = datasets.create({.name = "d"}).id;
  datasets.upload(id, corpus());
  EXPECT_EQ(build(datasets, id).at("indexed_chunks"), 3);
  EXPECT_EQ(embedder_->batcher().stats().batches, 0u) << "the job queued behind the batcher";
  auto query = embed("why does iron rust");
  auto hits = datasets.search(id, {.query = "why does iron rust", .k = 1, .mode = SearchMode::vector}, &query);
  ASSERT_EQ(hits.size(), 1u);
  EXPECT_EQ(hits[0].chunk.document_id, "rust");
}

TEST_F(DatasetsTest, FiltersTakeOperatorsInsideBothRetrievers) {
  auto datasets = open();
  auto id = datasets->create({.name = "d"}).id;
  datasets->upload(id, {{"a", "A", "Water boils at one hundred degrees.", {{"year", 2019}, {"date", "2019-03-01"}, {"lang", "en"}}},
                        {"b", "B", "Water freezes at zero degrees.", {{"year", 2021}, {"date", "2021-07-15"}, {"lang", "de"}}},
                        {"c", "C", "Water is wet.", {{"year", 2024}, {"date", "2024-01-09"}}}});
  build(*datasets, id);
  auto query = embed("water degrees");
  auto found = [&](boost::json::object filter, SearchMode mode) {
    auto ids = documents_of(datasets->search(id, {.query = "water", .k = 10, .mode = mode, .filter = std::move(filter)},
                                             &query));
    std::sort(ids.begin(), ids.end());
    return ids;
  };
  using Ids = std::vector<std::string>;
  for (auto mode : {SearchMode::keyword, SearchMode::vector, SearchMode::hybrid}) {
    EXPECT_EQ(found({{"year", {{"$gte", 2021}}}}, mode), (Ids{"b", "c"}));
    EXPECT_EQ(found({{"year", {{"$gt", 2019}, {"$lt", 2024}}}}, mode), (Ids{"b"}));
    EXPECT_EQ(found({{"date", {{"$lte", "2021-07-15"}}}}, mode), (Ids{"a", "b"})) << "ISO dates compare as text";
    EXPECT_EQ(found({{"lang", {{"$in", {"en", "fr"}}}}}, mode), (Ids{"a"}));
    EXPECT_EQ(found({{"lang", {{"$ne", "en"}}}}, mode), (Ids{"b", "c"})) << "a document without the key matches $ne";
    EXPECT_EQ(found({{"lang", {{"$in", boost::json::array{}}}}}, mode), Ids{});
    EXPECT_EQ(found({{"lang", "de"}, {"year", {{"$eq", 2021}}}}, mode), (Ids{"b"}));
  }
}

TEST_F(DatasetsTest, UnchangedDocumentsAreSkippedAndChangesReachSearch) {
  auto datasets = open();
  auto id = datasets->create({.name = "d"}).id;
  datasets->upload(id, corpus());
  build(*datasets, id);
  auto again = datasets->upload(id, corpus());
  EXPECT_EQ(again.unchanged, 3u);
  auto changed = corpus();
  changed[0].text = "Cats chase laser pointers relentlessly.";
  auto update = datasets->upload(id, {changed[0]});
  EXPECT_EQ(update.updated, 1u);
  EXPECT_TRUE(datasets->search(id, {.query = "purr", .mode = SearchMode::keyword}, nullptr).empty())
      << "the old text left the index at once";
  build(*datasets, id);
  auto hits = datasets->search(id, {.query = "laser pointers", .mode = SearchMode::keyword}, nullptr);
  ASSERT_EQ(hits.size(), 1u);
  EXPECT_EQ(hits[0].chunk.document_id, "cats");
  EXPECT_TRUE(datasets->delete_document(id, "cats"));
  EXPECT_FALSE(datasets->delete_document(id, "cats"));
  auto query = embed("laser pointers");
  for (const auto& hit : datasets->search(id, {.query = "laser pointers", .mode = SearchMode::vector}, &query))
    EXPECT_NE(hit.chunk.document_id, "cats");
}

TEST_F(DatasetsTest, IndexesReloadFromDiskWithoutReembedding) {
  std::int64_t id = 0;
  std::vector<std::string> before;
  auto query = embed("boiling water for tea");
  {
    auto datasets = open();
    id = datasets->create({.name = "d"}).id;
    datasets->upload(id, corpus());
    build(*datasets, id);
    before = documents_of(datasets->search(id, {.query = "boiling water for tea", .mode = SearchMode::vector}, &query));
    datasets->delete_document(id, "rust");
    datasets->save_all();
  }
  auto datasets = open();
  auto after = documents_of(datasets->search(id, {.query = "boiling water for tea", .mode = SearchMode::vector}, &query));
  std::erase(before, "rust");
  EXPECT_EQ(after, before);
  EXPECT_EQ(datasets->store().counts(id).indexed_chunks, 2);
  auto result = build(*datasets, id);
  EXPECT_EQ(result.at("chunks_embedded"), 0) << "nothing left to embed";
}

TEST_F(DatasetsTest, AStaleIndexFileIsReconciledWithTheStore) {
  std::int64_t id = 0;
  {
    auto datasets = open();
    id = datasets->create({.name = "d"}).id;
    datasets->upload(id, corpus());
    build(*datasets, id);  // saves the file with three vectors
    datasets->upload(id, {{"more", "More", "Sodium chloride dissolves in water.", {}}});
    build(*datasets, id);
    datasets->delete_document(id, "tea");
    // No save_all(): as after kill -9, the file misses "more" and still has "tea".
  }
  auto datasets = open();
  auto query = embed("salt dissolves in water");
  auto hits = documents_of(datasets->search(id, {.query = "salt dissolves", .k = 10, .mode = SearchMode::vector}, &query));
  EXPECT_EQ(hits.size(), 3u);
  EXPECT_EQ(std::count(hits.begin(), hits.end(), "tea"), 0);
  EXPECT_EQ(std::count(hits.begin(), hits.end(), "more"), 1);
}

TEST_F(DatasetsTest, RemoveDropsRowsAndIndexFile) {
  auto datasets = open();
  auto id = datasets->create({.name = "d"}).id;
  datasets->upload(id, corpus());
  build(*datasets, id);
  EXPECT_TRUE(datasets->remove(id));
  EXPECT_FALSE(datasets->store().dataset(id));
  for (const auto& entry : std::filesystem::directory_iterator(dir_))
    EXPECT_EQ(entry.path().extension() == ".hnsw", false) << entry.path();
  EXPECT_FALSE(datasets->remove(id));
}

}  // namespace
}  // namespace sluice::rag
