#include "sluice/ai/model_routers.hpp"

#include <gtest/gtest.h>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>

#include <optional>

namespace sluice::ai {
namespace {

namespace asio = boost::asio;

/// Answers with its own name, so a test sees which model a request reached.
class NameGenerator final : public Generator {
 public:
  explicit NameGenerator(std::string name, GeneratorFeatures features = {})
      : name_(std::move(name)), features_(features) {}
  std::string model() const override { return name_; }
  GeneratorFeatures features(std::string_view) const override { return features_; }
  ModelCard card() const override { return {.context_length = name_.size()}; }
  asio::awaitable<core::Result<Generation>> generate(GenerationRequest, PieceSink) override {
    co_return Generation{.text = name_};
  }

 private:
  std::string name_;
  GeneratorFeatures features_;
};

/// Vectors of a fixed width per name.
class WidthEmbedder final : public Embedder {
 public:
  WidthEmbedder(std::string name, std::size_t width) : name_(std::move(name)), width_(width) {}
  std::string model() const override { return name_; }
  std::size_t dimension() const override { return width_; }
  asio::awaitable<core::Result<Embeddings>> embed(std::vector<std::string> texts) override {
    co_return Embeddings{.vectors = std::vector<Vector>(texts.size(), Vector(width_, 1.0f))};
  }

 private:
  std::string name_;
  std::size_t width_;
};

/// The result of `task`, run to completion on a private event loop.
template <class T>
T run(asio::awaitable<T> task) {
  asio::io_context io;
  std::optional<T> out;
  asio::co_spawn(
      io, [&]() -> asio::awaitable<void> { out.emplace(co_await std::move(task)); }, asio::detached);
  io.run();
  return std::move(*out);
}

core::Result<Generation> run(Generator& generator, std::string model) {
  GenerationRequest request;
  request.model = std::move(model);
  return run(generator.generate(std::move(request), {}));
}

TEST(GeneratorRouter, ARequestReachesTheModelItNamesAndTheFirstByDefault) {
  GeneratorRouter router({std::make_shared<NameGenerator>("small"), std::make_shared<NameGenerator>("large")});
  EXPECT_EQ(router.model(), "small");
  EXPECT_EQ(run(router, "large")->text, "large");
  EXPECT_EQ(run(router, "small")->text, "small");
  EXPECT_EQ(run(router, "")->text, "small");
  auto unknown = run(router, "medium");
  ASSERT_FALSE(unknown);
  EXPECT_EQ(unknown.error().status, 404);
  EXPECT_EQ(unknown.error().code, "model_not_found");

  auto models = router.models();
  ASSERT_EQ(models.size(), 2u);
  EXPECT_EQ(models[1].id, "large");
  EXPECT_EQ(models[1].card.context_length, 5u);
  EXPECT_TRUE(serves(router, "large"));
  EXPECT_FALSE(serves(router, "medium"));
}

TEST(GeneratorRouter, FeaturesAreThoseOfTheMemberARequestWouldReach) {
  GeneratorRouter router({std::make_shared<NameGenerator>("plain"),
                          std::make_shared<NameGenerator>("json", GeneratorFeatures{.json_object = true})});
  EXPECT_FALSE(router.features("").json_object) << "the default is the first";
  EXPECT_FALSE(router.features("plain").json_object);
  EXPECT_TRUE(router.features("json").json_object);
  EXPECT_FALSE(router.features("missing").json_object);
}

TEST(EmbedderRouter, ServingFindsTheMemberOfThatNameAndEmbedUsesTheFirst) {
  auto narrow = std::make_shared<WidthEmbedder>("narrow", 4);
  auto wide = std::make_shared<WidthEmbedder>("wide", 16);
  EmbedderRouter router({narrow, wide});
  EXPECT_EQ(router.serving("wide"), wide.get());
  EXPECT_EQ(router.serving("narrow"), narrow.get());
  EXPECT_EQ(router.serving(""), narrow.get());
  EXPECT_EQ(router.serving("medium"), nullptr);
  EXPECT_EQ(router.dimension(), 4u);
  ASSERT_EQ(router.models().size(), 2u);
  EXPECT_EQ(router.models()[1].id, "wide");

  auto result = run(router.embed({"a", "b"}));
  ASSERT_TRUE(result);
  ASSERT_EQ(result->vectors.size(), 2u);
  EXPECT_EQ(result->vectors[0].size(), 4u);
}

}  // namespace
}  // namespace sluice::ai
