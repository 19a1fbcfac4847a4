#include "sluice/ai/batcher.hpp"

#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <gtest/gtest.h>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/use_future.hpp>

#include <condition_variable>
#include <future>
#include <mutex>

namespace sluice::ai {
namespace {

namespace asio = boost::asio;

/// The built-in model, recording each batch it is given; `hold()` makes batches wait until
/// `release()`, so that tests can keep the model busy while callers queue.
class RecordingModel final : public EmbeddingModel {
 public:
  std::string name() const override { return "recording"; }
  std::size_t dimension() const override { return inner_.dimension(); }
  std::size_t count_tokens(std::string_view text) const override { return inner_.count_tokens(text); }
  std::vector<Vector> embed_batch(const std::vector<std::string>& texts) const override {
    std::unique_lock lock(mutex_);
    batches_.push_back(texts);
    released_.wait(lock, [&] { return !is_held_; });
    lock.unlock();
    return inner_.embed_batch(texts);
  }
  void hold() {
    std::lock_guard lock(mutex_);
    is_held_ = true;
  }
  void release() {
    {
      std::lock_guard lock(mutex_);
      is_held_ = false;
    }
    released_.notify_all();
  }
  std::vector<std::vector<std::string>> batches() const {
    std::lock_guard lock(mutex_);
    return batches_;
  }
  const BuiltinEmbeddingModel& reference() const { return inner_; }

 private:
  BuiltinEmbeddingModel inner_{{.dimension = 16, .hashed_features = 256}};
  mutable std::mutex mutex_;
  mutable std::condition_variable released_;
  mutable std::vector<std::vector<std::string>> batches_;
  bool is_held_ = false;
};

struct Fixture {
  std::shared_ptr<RecordingModel> model = std::make_shared<RecordingModel>();
  core::ComputePool compute{2};
  asio::thread_pool io{2};  // callers come from two IO threads

  std::shared_ptr<Batcher> batcher(BatcherOptions options) {
    return std::make_shared<Batcher>(model, compute, options);
  }
  std::future<core::Result<Embeddings>> submit(const std::shared_ptr<Batcher>& b, std::vector<std::string> texts,
                                               Priority priority = Priority::interactive) {
    auto promise = std::make_shared<std::promise<core::Result<Embeddings>>>();
    auto future = promise->get_future();
    asio::co_spawn(
        io,
        [b, promise, texts = std::move(texts), priority]() mutable -> asio::awaitable<void> {
          auto result = co_await b->submit(std::move(texts), priority);
          promise->set_value(std::move(result));
        },
        asio::detached);
    return future;
  }
};

TEST(Batcher, EachCallerGetsItsOwnVectorsUnderConcurrency) {
  Fixture f;
  auto b = f.batcher({.max_batch_size = 16, .max_wait = std::chrono::microseconds(2000)});
  std::vector<std::vector<std::string>> inputs;
  std::vector<std::future<core::Result<Embeddings>>> results;
  for (int i = 0; i < 64; ++i) {
    std::vector<std::string> texts{"caller " + std::to_string(i)};
    if (i % 3 == 0) texts.push_back("second text of caller " + std::to_string(i));
    inputs.push_back(texts);
    results.push_back(f.submit(b, texts));
  }
  for (std::size_t i = 0; i < results.size(); ++i) {
    auto result = results[i].get();
    ASSERT_TRUE(result) << result.error().message;
    auto expected = f.model->reference().embed_batch(inputs[i]);
    ASSERT_EQ(result->vectors.size(), expected.size());
    for (std::size_t t = 0; t < expected.size(); ++t)
      for (std::size_t d = 0; d < expected[t].size(); ++d) EXPECT_NEAR(result->vectors[t][d], expected[t][d], 1e-5f);
    EXPECT_EQ(result->prompt_tokens, inputs[i].size() == 1 ? 2u : 7u);
  }
}

TEST(Batcher, ConcurrentCallersShareBatchesWithinTheLimits) {
  Fixture f;
  auto b = f.batcher({.max_batch_size = 8, .max_wait = std::chrono::microseconds(50'000), .max_running = 1});
  f.model->hold();  // the first batch occupies the model while the others gather
  std::vector<std::future<core::Result<Embeddings>>> results;
  for (int i = 0; i < 32; ++i) results.push_back(f.submit(b, {"text " + std::to_string(i)}));
  while (b->stats().queued + b->stats().texts < 32) std::this_thread::yield();
  f.model->release();
  for (auto& r : results) ASSERT_TRUE(r.get());
  auto stats = b->stats();
  EXPECT_EQ(stats.texts, 32u);
  EXPECT_LT(stats.batches, 32u);
  EXPECT_GT(static_cast<double>(stats.texts) / static_cast<double>(stats.batches), 1.0);
  for (const auto& batch : f.model->batches()) EXPECT_LE(batch.size(), 8u);
}

TEST(Batcher, WhileTheModelIsBusyATextWaitsForCompanyAtMostMaxWait) {
  Fixture f;
  auto b = f.batcher({.max_batch_size = 8, .max_wait = std::chrono::microseconds(20'000), .max_running = 2});
  f.model->hold();
  auto first = f.submit(b, {"an idle model takes this at once"});
  while (f.model->batches().size() < 1) std::this_thread::yield();
  // One batch runs, a slot is free: the next text waits for company, then goes alone (the
  // wake-up timer path), while the first batch is still held.
  auto second = f.submit(b, {"waits, then goes alone"});
  while (f.model->batches().size() < 2) std::this_thread::yield();
  EXPECT_EQ(f.model->batches()[1], (std::vector<std::string>{"waits, then goes alone"}));
  f.model->release();
  EXPECT_TRUE(first.get());
  EXPECT_TRUE(second.get());
}

TEST(Batcher, TokenLimitSplitsBatchesButNeverARequest) {
  Fixture f;
  auto b = f.batcher(
      {.max_batch_size = 100, .max_batch_tokens = 5, .max_wait = std::chrono::microseconds(50'000), .max_running = 1});
  f.model->hold();
  auto first = f.submit(b, {"one two three four five six seven"});  // 7 tokens: alone, over the limit
  std::vector<std::future<core::Result<Embeddings>>> results;
  for (int i = 0; i < 6; ++i) results.push_back(f.submit(b, {"a b"}));  // 2 tokens each
  while (b->stats().queued < 6) std::this_thread::yield();
  f.model->release();
  ASSERT_TRUE(first.get());
  for (auto& r : results) ASSERT_TRUE(r.get());
  auto batches = f.model->batches();
  ASSERT_GE(batches.size(), 4u);
  EXPECT_EQ(batches[0].size(), 1u);
  for (std::size_t i = 1; i < batches.size(); ++i) EXPECT_LE(batches[i].size(), 2u);
}

TEST(Batcher, AFullQueueAnswers503) {
  Fixture f;
  auto b = f.batcher({.max_batch_size = 1, .max_wait = std::chrono::microseconds(0), .max_queue = 3, .max_running = 1});
  f.model->hold();
  auto running = f.submit(b, {"runs first"});
  while (f.model->batches().empty()) std::this_thread::yield();
  std::vector<std::future<core::Result<Embeddings>>> queued;
  for (int i = 0; i < 3; ++i) queued.push_back(f.submit(b, {"queued"}));
  while (b->stats().queued < 3) std::this_thread::yield();
  auto refused = f.submit(b, {"one too many"}).get();
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().status, 503u);
  EXPECT_EQ(refused.error().code, "queue_full");
  EXPECT_EQ(b->stats().rejected, 1u);
  f.model->release();
  EXPECT_TRUE(running.get());
  for (auto& r : queued) EXPECT_TRUE(r.get());
}

TEST(Batcher, ACallerThatTimesOutIsDroppedFromItsBatch) {
  Fixture f;
  auto b =
      f.batcher({.max_wait = std::chrono::microseconds(0), .max_running = 1, .timeout = std::chrono::milliseconds(50)});
  f.model->hold();
  auto running = f.submit(b, {"keeps the model busy"});
  while (f.model->batches().empty()) std::this_thread::yield();
  auto late = f.submit(b, {"gives up"}).get();
  ASSERT_FALSE(late);
  EXPECT_EQ(late.error().status, 504u);
  EXPECT_EQ(late.error().code, "timeout");
  // It too waits past its 50 ms while the model is held; released only once it has given up
  // (its timer may still be pending on a loaded machine when "gives up" returns).
  ASSERT_EQ(running.wait_for(std::chrono::seconds(5)), std::future_status::ready);
  f.model->release();
  ASSERT_FALSE(running.get());
  auto after = f.submit(b, {"comes later"}).get();
  ASSERT_TRUE(after);
  // "gives up" never reached the model: it was dropped when the next batch formed.
  for (const auto& batch : f.model->batches())
    for (const auto& text : batch) EXPECT_NE(text, "gives up");
  EXPECT_EQ(b->stats().dropped, 1u);
}

TEST(Batcher, ACancelledCallerIsDroppedFromItsBatch) {
  Fixture f;
  auto b = f.batcher({.max_wait = std::chrono::microseconds(0), .max_running = 1});
  f.model->hold();
  auto running = f.submit(b, {"keeps the model busy"});
  while (f.model->batches().empty()) std::this_thread::yield();
  // A caller cancelled while it waits (a deadline, a client gone). Its io_context lives on
  // until the dropped entry has been released by the next batch: the entry's channel belongs to it.
  asio::io_context caller;
  asio::cancellation_signal cancel;
  asio::co_spawn(
      caller, [b]() -> asio::awaitable<void> { co_await b->submit(std::vector<std::string>(1, "cancelled")); },
      asio::bind_cancellation_slot(cancel.slot(), asio::detached));
  caller.run_for(std::chrono::milliseconds(20));
  cancel.emit(asio::cancellation_type::terminal);
  caller.run_for(std::chrono::milliseconds(20));
  f.model->release();
  ASSERT_TRUE(running.get());
  ASSERT_TRUE(f.submit(b, {"next"}).get());
  for (const auto& batch : f.model->batches())
    for (const auto& text : batch) EXPECT_NE(text, "cancelled");
  EXPECT_EQ(b->stats().dropped, 1u);
}


/// Waits (bounded) until the model has been handed `n` batches.
bool wait_for_batches(const RecordingModel& model, std::size_t n) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (model.batches().size() < n) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::yield();
  }
  return true;
}

TEST(BatcherPriority, QueuedInteractiveTextsGoBeforeBackgroundOnes) {
  Fixture f;
  auto b = f.batcher({.max_batch_size = 1, .max_wait = std::chrono::microseconds(0), .max_running = 1});
  f.model->hold();
  auto busy = f.submit(b, {"keeps the model busy"});
  ASSERT_TRUE(wait_for_batches(*f.model, 1));
  auto background = f.submit(b, {"background"}, Priority::background);
  while (b->stats().queued_background < 1) std::this_thread::yield();
  auto interactive = f.submit(b, {"interactive"});
  while (b->stats().queued < 1) std::this_thread::yield();  // the interactive text is queued too
  f.model->release();
  ASSERT_TRUE(busy.get());
  ASSERT_TRUE(interactive.get());
  ASSERT_TRUE(background.get());
  auto batches = f.model->batches();
  ASSERT_EQ(batches.size(), 3u);
  EXPECT_EQ(batches[1], (std::vector<std::string>{"interactive"}));
  EXPECT_EQ(batches[2], (std::vector<std::string>{"background"}));
}

TEST(BatcherPriority, WhileInteractiveTrafficIsAboutBackgroundLeavesASlotFree) {
  Fixture f;
  auto b = f.batcher({.max_batch_size = 1,
                      .max_wait = std::chrono::microseconds(0),
                      .max_running = 2,
                      .interactive_window = std::chrono::hours(1)});
  ASSERT_TRUE(f.submit(b, {"recent interactive request"}).get());
  f.model->hold();
  auto first = f.submit(b, {"background 1"}, Priority::background);
  auto second = f.submit(b, {"background 2"}, Priority::background);
  ASSERT_TRUE(wait_for_batches(*f.model, 2));  // the interactive one, then background 1
  // Background 2 waits although a slot is free: that slot is the interactive text's.
  auto interactive = f.submit(b, {"interactive"});
  ASSERT_TRUE(wait_for_batches(*f.model, 3));
  EXPECT_EQ(f.model->batches()[2], (std::vector<std::string>{"interactive"}));
  f.model->release();
  EXPECT_TRUE(interactive.get());
  EXPECT_TRUE(first.get());
  EXPECT_TRUE(second.get());
}

TEST(BatcherPriority, WithoutInteractiveTrafficBackgroundUsesEverySlot) {
  Fixture f;
  auto b = f.batcher({.max_batch_size = 1, .max_wait = std::chrono::microseconds(0), .max_running = 2});
  f.model->hold();
  auto first = f.submit(b, {"background 1"}, Priority::background);
  auto second = f.submit(b, {"background 2"}, Priority::background);
  EXPECT_TRUE(wait_for_batches(*f.model, 2));  // both run at once
  f.model->release();
  EXPECT_TRUE(first.get());
  EXPECT_TRUE(second.get());
}

}  // namespace
}  // namespace sluice::ai
