// The local provider's embedding model on the real tiny model (../shared/models/stories260K).
#include "random_gguf.hpp"
#include "sluice/ai/local_model.hpp"

#include <gtest/gtest.h>

#include <unistd.h>

#include <cmath>
#include <filesystem>

namespace sluice::ai {
namespace {

const std::string model_path = std::string(SLUICE_MODELS_DIR) + "/stories260K/stories260K.gguf";

std::shared_ptr<LocalEmbeddingModel> load() {
  auto model = LocalEmbeddingModel::load({.path = model_path, .threads = 1});
  if (!model) throw std::runtime_error(model.error().message);
  return *model;
}

double norm(const Vector& v) {
  double sum = 0;
  for (float x : v) sum += static_cast<double>(x) * x;
  return std::sqrt(sum);
}

TEST(LocalEmbeddingModel, VectorsAreDeterministicUnitLengthAndOfTheModelsWidth) {
  auto model = load();
  EXPECT_EQ(model->dimension(), 64u);
  EXPECT_EQ(model->name(), "stories260K");
  auto a = model->embed_batch({"The cat sat on the mat."})[0];
  auto b = load()->embed_batch({"The cat sat on the mat."})[0];
  ASSERT_EQ(a.size(), 64u);
  EXPECT_EQ(a, b);
  EXPECT_NEAR(norm(a), 1.0, 1e-5);
  auto other = model->embed_batch({"A dragon flew over the mountains at night."})[0];
  EXPECT_NE(a, other);
}

TEST(LocalEmbeddingModel, ABatchEqualsItsMembersOneByOne) {
  auto model = load();
  std::vector<std::string> texts = {"Once upon a time", "Lily liked to play in the park with her red ball.", "Tom",
                                    "The sun was warm and the birds sang."};
  std::vector<std::size_t> tokens;
  auto batch = model->embed_batch_counted(texts, tokens);
  ASSERT_EQ(batch.size(), texts.size());
  ASSERT_EQ(tokens.size(), texts.size());
  for (std::size_t i = 0; i < texts.size(); ++i) {
    std::vector<std::size_t> alone_tokens;
    auto alone = model->embed_batch_counted({texts[i]}, alone_tokens)[0];
    EXPECT_EQ(tokens[i], alone_tokens[0]);
    ASSERT_EQ(alone.size(), batch[i].size());
    for (std::size_t d = 0; d < alone.size(); ++d) EXPECT_NEAR(alone[d], batch[i][d], 1e-4) << texts[i] << " dim " << d;
  }
  EXPECT_GT(tokens[1], tokens[0]);
}

TEST(LocalEmbeddingModel, InputsLongerThanTheContextAreCutOrRefused) {
  std::string longer;
  for (int i = 0; i < 300; ++i) longer += "the cat and the dog ";
  auto cut = load();
  std::vector<std::size_t> tokens;
  auto v = cut->embed_batch_counted({longer}, tokens);
  EXPECT_EQ(tokens[0], cut->info().context_length);  // 128: stories260K's GGUF says so
  EXPECT_NEAR(norm(v[0]), 1.0, 1e-5);
  auto strict = LocalEmbeddingModel::load({.path = model_path, .threads = 1, .truncate = false});
  ASSERT_TRUE(strict);
  EXPECT_THROW((*strict)->embed_batch({longer}), std::invalid_argument);
}

TEST(LocalEmbeddingModel, AnEncoderWithRandomWeightsLoadsAndEmbeds) {
  // A BERT-architecture model written here (random weights, bge's WordPiece vocabulary): the
  // encoder path (non-causal attention, the model's own pooling) without a download.
  auto path = (std::filesystem::temp_directory_path() / ("sluice-bert-" + std::to_string(::getpid()) + ".gguf")).string();
  test::write_random_gguf(path, {.architecture = "bert", .dim = 32, .layers = 2, .ff = 64, .heads = 4, .kv_heads = 4,
                                 .context = 128},
                          std::string(SLUICE_MODELS_DIR) + "/tokenizers/ggml-vocab-bert-bge.gguf");
  auto model = LocalEmbeddingModel::load({.path = path, .threads = 1});
  std::filesystem::remove(path);
  ASSERT_TRUE(model) << model.error().message;
  EXPECT_EQ((*model)->info().architecture, "bert");
  EXPECT_EQ((*model)->dimension(), 32u);
  std::vector<std::string> texts = {"hello world", "an encoder reads the whole sentence at once", "bert"};
  auto batch = (*model)->embed_batch(texts);
  ASSERT_EQ(batch.size(), 3u);
  for (std::size_t i = 0; i < texts.size(); ++i) {
    EXPECT_NEAR(norm(batch[i]), 1.0, 1e-5);
    auto alone = (*model)->embed_batch({texts[i]})[0];
    for (std::size_t d = 0; d < alone.size(); ++d) EXPECT_NEAR(alone[d], batch[i][d], 1e-4);
  }
  EXPECT_NE(batch[0], batch[1]);
}

}  // namespace
}  // namespace sluice::ai
