#include "sluice/ai/extractive_generator.hpp"

#include <gtest/gtest.h>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>

namespace sluice::ai {
namespace {

namespace asio = boost::asio;

std::string answer(std::string prompt, std::string context) {
  GenerationRequest request;
  request.prompt = std::move(prompt);
  request.context = std::move(context);
  return ExtractiveGenerator::answer(request);
}

TEST(ExtractiveGenerator, AnswersWithTheContextSentencesSharingMostWords) {
  std::string context = "Cats sleep a lot. Rate limits protect expensive endpoints. Sluice is fast.";
  EXPECT_EQ(answer("what protects expensive endpoints", context), "Rate limits protect expensive endpoints.");
  EXPECT_EQ(answer("IS SLUICE FAST?", context), "Sluice is fast.");
  EXPECT_EQ(answer("context prompt", "Sluice serves AI backends\nContext for the prompt"), "Context for the prompt");
}

TEST(ExtractiveGenerator, KeepsUpToThreeGoodSentencesInTextOrder) {
  std::string context =
      "Batching helps throughput. Unrelated sentence. Batching needs a queue. "
      "Throughput and batching go together. Batching again.";
  EXPECT_EQ(answer("batching throughput", context), "Batching helps throughput. Throughput and batching go together.");
  EXPECT_EQ(answer("batching", context),
            "Batching helps throughput. Batching needs a queue. Throughput and batching go together.");
}

TEST(ExtractiveGenerator, DotsInsideWordsDoNotEndSentences) {
  EXPECT_EQ(answer("what runs after the response",
                   "It runs on Boost.Asio event loops. Background tasks run after the response is sent."),
            "Background tasks run after the response is sent.");
}

TEST(ExtractiveGenerator, WithoutMatchingContextReversesTheQuestion) {
  EXPECT_EQ(answer("hello big world", ""), "world big hello");
  EXPECT_EQ(answer("hello", "Nothing in common."), "hello");
  EXPECT_EQ(answer("", ""), "");
}

TEST(ExtractiveGenerator, ChatUsesTheLastUserMessageAndTheRestAsContext) {
  GenerationRequest request;
  request.messages = {{"system", "Sluice is written in C++. Paris is in France."}, {"user", "Where is Paris?"}};
  EXPECT_EQ(ExtractiveGenerator::answer(request), "Paris is in France.");
}

TEST(ExtractiveGenerator, PiecesConcatenateBackToTheText) {
  auto pieces = split_pieces("  one two\nthree ");
  ASSERT_EQ(pieces.size(), 4u);
  EXPECT_EQ(pieces[0], "  one");
  std::string joined;
  for (auto& p : pieces) joined += p;
  EXPECT_EQ(joined, "  one two\nthree ");
}

struct Streamed {
  core::Result<Generation> result = core::Error{};
  std::vector<std::string> pieces;
};

Streamed run(GenerationRequest request) {
  core::ComputePool compute(1);
  ExtractiveGenerator generator(compute);
  asio::io_context io;
  Streamed out;
  auto future = asio::co_spawn(
      io,
      [&]() -> asio::awaitable<void> {
        out.result = co_await generator.generate(std::move(request), [&](std::string piece) -> asio::awaitable<bool> {
          out.pieces.push_back(std::move(piece));
          co_return true;
        });
      },
      asio::use_future);
  io.run();
  future.get();
  return out;
}

TEST(ExtractiveGenerator, StreamsWordsAndCountsUsage) {
  GenerationRequest request;
  request.prompt = "is sluice fast";
  request.context = "Sluice is very fast indeed.";
  auto out = run(request);
  ASSERT_TRUE(out.result);
  EXPECT_EQ(out.result->text, "Sluice is very fast indeed.");
  EXPECT_EQ(out.pieces, (std::vector<std::string>{"Sluice", " is", " very", " fast", " indeed."}));
  EXPECT_EQ(out.result->finish_reason, "stop");
  EXPECT_EQ(out.result->usage.completion_tokens, 5u);
  EXPECT_EQ(out.result->usage.prompt_tokens, 8u);
}

TEST(ExtractiveGenerator, HonoursMaxTokensAndStop) {
  GenerationRequest request;
  request.prompt = "is sluice fast";
  request.context = "Sluice is very fast indeed.";
  request.params.max_tokens = 2;
  auto limited = run(request);
  EXPECT_EQ(limited.result->text, "Sluice is");
  EXPECT_EQ(limited.result->finish_reason, "length");
  request.params.max_tokens = 100;
  request.params.stop = {" fast"};
  auto stopped = run(request);
  EXPECT_EQ(stopped.result->text, "Sluice is very");
  EXPECT_EQ(stopped.result->finish_reason, "stop");
}

}  // namespace
}  // namespace sluice::ai
