// The local provider's generator on the real tiny model (../shared/models/stories260K).
#include "sluice/ai/local_model.hpp"

#include <gtest/gtest.h>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/use_future.hpp>
#include <boost/json/parse.hpp>

#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <future>
#include <optional>
#include <thread>

namespace sluice::ai {
namespace {

namespace asio = boost::asio;

const std::string model_path = std::string(SLUICE_MODELS_DIR) + "/stories260K/stories260K.gguf";
// llama.cpp's greedy continuation of the prompt, from ../shared/models/stories260K/SOURCES.md.
const std::string oracle =
    "Once upon a time, there was a little girl named Lily. She loved to play outside in the park. One day, she saw a "
    "big, red ball. She wanted to play with it, but it was too high.\nLily";

GenerationRequest greedy(std::string prompt, std::size_t max_tokens) {
  GenerationRequest request;
  request.prompt = std::move(prompt);
  request.params.temperature = 0;
  request.params.max_tokens = max_tokens;
  return request;
}

class LocalGeneratorTest : public ::testing::Test {
 protected:
  static std::shared_ptr<LocalGenerator> load(LocalGeneratorOptions options) {
    options.path = model_path;
    options.threads = 1;
    auto generator = LocalGenerator::load(options, compute());
    if (!generator) throw std::runtime_error(generator.error().message);
    return *generator;
  }
  static core::ComputePool& compute() {
    static core::ComputePool pool(1);
    return pool;
  }

  /// Runs `requests` concurrently on one event loop (each starting after `delays[i]`).
  static std::vector<core::Result<Generation>> run_all(LocalGenerator& generator,
                                                       std::vector<GenerationRequest> requests,
                                                       std::vector<std::chrono::milliseconds> delays = {}) {
    asio::io_context io;
    // use_future needs a default-constructible result: hence the optional.
    std::vector<std::future<std::optional<core::Result<Generation>>>> futures;
    for (std::size_t i = 0; i < requests.size(); ++i) {
      auto delay = i < delays.size() ? delays[i] : std::chrono::milliseconds(0);
      auto task = [&generator, request = std::move(requests[i]), delay]() mutable
          -> asio::awaitable<std::optional<core::Result<Generation>>> {
        asio::steady_timer timer(co_await asio::this_coro::executor, delay);
        co_await timer.async_wait(asio::use_awaitable);
        PieceSink none;
        auto result = co_await generator.generate(std::move(request), none);
        co_return result;
      };
      futures.push_back(asio::co_spawn(io, std::move(task), asio::use_future));
    }
    io.run();
    std::vector<core::Result<Generation>> out;
    for (auto& f : futures) out.push_back(*f.get());
    return out;
  }
  static Generation run_one(LocalGenerator& generator, GenerationRequest request) {
    auto results = run_all(generator, {std::move(request)});
    if (!results[0]) throw std::runtime_error(results[0].error().message);
    return *results[0];
  }
};

TEST_F(LocalGeneratorTest, GreedyCompletionReproducesTheOracle) {
  auto generator = load({});
  auto result = run_one(*generator, greedy("Once upon a time", 200));
  // The oracle stops after its 60th token; the model goes on from there.
  EXPECT_EQ(("Once upon a time" + result.text).substr(0, oracle.size()), oracle);
  EXPECT_EQ(result.usage.prompt_tokens, generator->count_tokens("Once upon a time"));
}

TEST_F(LocalGeneratorTest, EightConcurrentGreedyStreamsEachMatchALoneRequest) {
  auto generator = load({.parallel = 8});
  const std::vector<std::string> prompts = {"Once upon a time", "The cat", "Tom had a big red", "She was happy",
                                            "One day, a little bird named Sam flew over the big tree and saw",
                                            "Lily", "The sun was", "Ben and his mom went to the park to play"};
  std::vector<std::string> alone;
  for (const auto& p : prompts) alone.push_back(run_one(*generator, greedy(p, 48)).text);

  std::vector<GenerationRequest> together;
  for (const auto& p : prompts) together.push_back(greedy(p, 48));
  auto results = run_all(*generator, together);
  for (std::size_t i = 0; i < prompts.size(); ++i) {
    ASSERT_TRUE(results[i]) << results[i].error().message;
    EXPECT_EQ(results[i]->text, alone[i]) << prompts[i];
  }
  // Prompts of different lengths arriving while the others decode.
  std::vector<GenerationRequest> staggered;
  std::vector<std::chrono::milliseconds> delays;
  for (std::size_t i = 0; i < prompts.size(); ++i) {
    staggered.push_back(greedy(prompts[i], 48));
    delays.emplace_back(static_cast<int>(i) * 3);
  }
  results = run_all(*generator, staggered, delays);
  for (std::size_t i = 0; i < prompts.size(); ++i) {
    ASSERT_TRUE(results[i]);
    EXPECT_EQ(results[i]->text, alone[i]) << prompts[i];
  }
}

TEST_F(LocalGeneratorTest, LongPromptsAreDecodedInChunksWithoutChangingTheResult) {
  auto small_steps = load({.parallel = 2, .batch_tokens = 16});
  auto whole = load({.parallel = 2, .batch_tokens = 512});
  std::string prompt = "Once upon a time, there was a little girl named Lily. She loved to play outside in the park.";
  EXPECT_GT(small_steps->count_tokens(prompt), 16u);
  EXPECT_EQ(run_one(*small_steps, greedy(prompt, 32)).text, run_one(*whole, greedy(prompt, 32)).text);
}

TEST_F(LocalGeneratorTest, ASlotReusesTheCachedPrefixOfItsLastPrompt) {
  auto generator = load({.parallel = 1});
  auto first = run_one(*generator, greedy("Once upon a time", 20));
  // Same prompt again: only its last token is decoded again, and the answer is the same.
  auto again = run_one(*generator, greedy("Once upon a time", 20));
  EXPECT_EQ(first.text, again.text);
  auto longer = run_one(*generator, greedy("Once upon a time, there was", 20));
  EXPECT_EQ(longer.usage.prompt_tokens, generator->count_tokens("Once upon a time, there was"));
}

TEST_F(LocalGeneratorTest, SeedMakesSamplingReproducible) {
  auto generator = load({});
  auto sampled = [&](std::int64_t seed) {
    GenerationRequest request;
    request.prompt = "Once upon a time";
    request.params = {.max_tokens = 40, .temperature = 1.0, .seed = seed, .top_k = 40, .min_p = 0.05};
    return run_one(*generator, request).text;
  };
  EXPECT_EQ(sampled(7), sampled(7));
  EXPECT_EQ(sampled(123), sampled(123));
}

TEST_F(LocalGeneratorTest, StopStringsEndTheTextBeforeThem) {
  auto generator = load({});
  auto request = greedy("Once upon a time", 100);
  request.params.stop = {"Lily"};
  auto result = run_one(*generator, request);
  EXPECT_EQ(result.text, ", there was a little girl named ");
  EXPECT_EQ(result.finish_reason, "stop");
}

TEST_F(LocalGeneratorTest, MaxTokensEndsWithLength) {
  auto generator = load({});
  auto result = run_one(*generator, greedy("Once upon a time", 5));
  EXPECT_EQ(result.usage.completion_tokens, 5u);
  EXPECT_EQ(result.finish_reason, "length");
  EXPECT_EQ(oracle.substr(0, 16 + result.text.size()), "Once upon a time" + result.text);
}

TEST_F(LocalGeneratorTest, JsonObjectOutputParses) {
  auto generator = load({.context = 512});
  auto request = greedy("Once upon a time", 500);
  request.params.response_format.type = ResponseFormat::Type::json_object;
  auto result = run_one(*generator, request);
  ASSERT_EQ(result.finish_reason, "stop") << result.text;
  boost::system::error_code ec;
  auto value = boost::json::parse(result.text, ec);
  ASSERT_FALSE(ec) << result.text;
  EXPECT_TRUE(value.is_object()) << result.text;
}

TEST_F(LocalGeneratorTest, ChatMessagesGoThroughAChatTemplate) {
  auto generator = load({});
  // stories260K carries no template: ChatML, as llama.cpp's server falls back to.
  auto prompt = generator->apply_chat_template({{"system", "Be brief."}, {"user", "Tell a story."}});
  EXPECT_EQ(prompt, "<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\nTell a story.<|im_end|>\n"
                    "<|im_start|>assistant\n");
  GenerationRequest chat;
  chat.messages = {{"system", "Be brief."}, {"user", "Tell a story."}};
  chat.params.temperature = 0;
  chat.params.max_tokens = 8;
  auto result = run_one(*generator, chat);
  EXPECT_EQ(result.usage.prompt_tokens, generator->count_tokens(prompt));
  EXPECT_EQ(result.text, run_one(*generator, greedy(prompt, 8)).text);
}

TEST_F(LocalGeneratorTest, AListenerThatLeavesFreesItsSequence) {
  // One slot and a generation that would run for minutes: only cancellation lets the next one in.
  auto generator = load({.parallel = 1, .context = 100'000, .batch_tokens = 16});
  asio::io_context io;
  GenerationRequest endless = greedy("Once upon a time", 90'000);
  endless.params.ignore_eos = true;
  int pieces = 0;
  PieceSink leave_after_three = [&pieces](std::string) -> asio::awaitable<bool> { co_return ++pieces < 3; };
  auto listen = [&]() -> asio::awaitable<std::optional<core::Result<Generation>>> {
    auto result = co_await generator->generate(endless, leave_after_three);
    co_return result;
  };
  auto first = asio::co_spawn(io, std::move(listen), asio::use_future);
  io.run();
  auto cancelled = *first.get();
  ASSERT_FALSE(cancelled);
  EXPECT_EQ(cancelled.error().status, 499u);
  EXPECT_EQ(pieces, 3);
  auto next = run_one(*generator, greedy("Once upon a time", 10));
  EXPECT_EQ(next.usage.completion_tokens, 10u);
  EXPECT_EQ(generator->stats().busy_sequences, 0u);
}

TEST_F(LocalGeneratorTest, PromptsLongerThanTheContextAreRefused) {
  auto generator = load({.context = 16});
  auto results = run_all(*generator, {greedy("Once upon a time there was a little girl named Lily who loved", 4)});
  ASSERT_FALSE(results[0]);
  EXPECT_EQ(results[0].error().status, 400u);
  EXPECT_EQ(results[0].error().code, "prompt_too_long");
}

TEST_F(LocalGeneratorTest, MissingTruncatedAndForeignFilesAreRefusedWithTheReason) {
  auto refused = [](const std::string& path) {
    auto generator = LocalGenerator::load({.path = path, .threads = 1}, compute());
    EXPECT_FALSE(generator);
    return generator ? std::string() : generator.error().message;
  };
  EXPECT_NE(refused("/nonexistent/model.gguf").find("no such file"), std::string::npos);

  auto dir = std::filesystem::temp_directory_path() / ("sluice-local-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  std::ifstream in(model_path, std::ios::binary);
  std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  auto write = [&](const std::string& name, const std::string& content) {
    std::ofstream(dir / name, std::ios::binary) << content;
    return (dir / name).string();
  };
  EXPECT_NE(refused(write("text.gguf", "not a model at all")).find("not a GGUF file"), std::string::npos);
  auto truncated = refused(write("truncated.gguf", bytes.substr(0, bytes.size() / 2)));
  EXPECT_NE(truncated.find("cannot load model"), std::string::npos);
  // The same file with its architecture renamed: llama.cpp knows no such architecture.
  auto foreign = bytes;
  auto key = foreign.find("general.architecture");
  ASSERT_NE(key, std::string::npos);
  auto value = foreign.find("llama", key + 20);
  foreign.replace(value, 5, "zzzzz");
  auto unknown = refused(write("foreign.gguf", foreign));
  EXPECT_NE(unknown.find("zzzzz"), std::string::npos) << unknown;
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace sluice::ai
