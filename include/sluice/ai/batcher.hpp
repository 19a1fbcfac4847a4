#pragma once
// Dynamic batching: concurrent embedding requests for one model run as one batch.

#include "sluice/ai/embedding_model.hpp"
#include "sluice/core/compute_pool.hpp"
#include "sluice/obs/metrics.hpp"

#include <boost/asio/awaitable.hpp>

#include <atomic>
#include <chrono>
#include <cstddef>
#include <deque>
#include <memory>
#include <mutex>

namespace sluice::ai {

struct BatcherOptions {
  std::size_t max_batch_size = 64;            // texts per batch (one request's texts are never split)
  std::size_t max_batch_tokens = 8192;        // tokens per batch, same rule
  std::chrono::microseconds max_wait{1000};   // longest a text waits for company while the model is busy
  std::size_t max_queue = 4096;               // texts waiting; past it submit() answers 503 queue_full
  std::size_t max_text_tokens = 8192;         // tokens of one text; longer: 400 input_too_long
  std::size_t max_running = 0;                // batches on the compute pool at once; 0: pool size
  std::chrono::milliseconds timeout{30'000};  // a caller waiting longer gets 504 and leaves the batch
  /// Where the batcher reports sluice_ai_{batches,batch_texts,rejected,dropped}_total,
  /// sluice_ai_queue_depth and the sluice_ai_batch_size histogram, labelled model=<name>;
  /// none: not reported (mean batch size = batch_texts_total / batches_total).
  std::shared_ptr<obs::Registry> metrics;
  /// Background batches leave one slot free while an interactive text arrived this recently.
  std::chrono::milliseconds interactive_window{1000};
};

/// Interactive texts go first; background texts (batches) use only the capacity they leave.
enum class Priority { interactive, background };

/// Told about every batch (the server turns these into Prometheus series). Called from any
/// thread; implementations must be thread-safe and cheap.
class BatcherObserver {
 public:
  virtual ~BatcherObserver() = default;
  virtual void on_batch(std::size_t texts, std::size_t callers) = 0;
  virtual void on_queue_depth(std::size_t texts) = 0;
  virtual void on_rejected() = 0;  // queue full
  virtual void on_dropped() = 0;   // caller left (timeout or cancellation) before its batch ran
};

/// Queues callers' texts and hands them to the model in batches on the compute pool. A batch is
/// sent when it is full (max_batch_size / max_batch_tokens), when its oldest text has waited
/// max_wait, or at once when no batch is running (an idle model does not wait for company) —
/// and only while fewer than max_running batches run, so that under load texts gather while the
/// model is busy and batches grow by themselves. Each caller gets its own
/// vectors back. A caller that times out or whose coroutine is cancelled is removed before its
/// batch is formed. max_batch_size 1 turns batching off (every request runs alone).
///
/// Thread-safety: submit() may be called from any thread; the queue is guarded by `mutex_`.
class Batcher : public std::enable_shared_from_this<Batcher> {
 public:
  Batcher(std::shared_ptr<const EmbeddingModel> model, core::ComputePool& compute, BatcherOptions options = {},
          std::shared_ptr<BatcherObserver> observer = nullptr);
  ~Batcher();

  /// Embeds `texts` as part of some batch. Errors: 503 `queue_full`, 504 `timeout`; 413
  /// `too_many_inputs` when interactive `texts` alone exceed the queue, 400 `input_too_long`.
  ///
  /// Background texts wait in a queue of their own, unbounded and without a timeout (their
  /// caller bounds how many it sends): they are batched only when no interactive batch is due,
  /// and while interactive requests arrived within interactive_window they leave one of max_running
  /// slots free, so an interactive text never waits behind a batch job's.
  boost::asio::awaitable<core::Result<Embeddings>> submit(std::vector<std::string> texts,
                                                          Priority priority = Priority::interactive);

  const EmbeddingModel& model() const { return *model_; }
  const BatcherOptions& options() const { return options_; }

  struct Stats {
    std::uint64_t batches = 0, texts = 0, rejected = 0, dropped = 0;
    std::size_t queued = 0;             // interactive texts waiting
    std::size_t queued_background = 0;  // background callers waiting
  };
  Stats stats() const;

  struct Entry;  // one caller's texts, waiting in the queue (defined in batcher.cpp)

 private:
  /// Sends every batch that is due (full, or its oldest text has waited max_wait) while fewer
  /// than max_running run; arms the wake-up timer for texts left waiting. Needs `mutex_` held.
  void dispatch_locked();
  /// Sends one batch from `queue` if one is due; false otherwise.
  bool dispatch_one_locked(std::deque<std::shared_ptr<Entry>>& queue, bool is_background);
  /// How many background batches may run now.
  std::size_t background_limit_locked() const;
  void arm_timer_locked();
  void run_batch(std::vector<std::shared_ptr<Entry>> batch, bool is_background);

  std::shared_ptr<const EmbeddingModel> model_;
  core::ComputePool& compute_;
  BatcherOptions options_;
  std::shared_ptr<BatcherObserver> observer_;

  mutable std::mutex mutex_;  // guards everything below
  std::deque<std::shared_ptr<Entry>> queue_;
  std::deque<std::shared_ptr<Entry>> background_;
  std::size_t queued_texts_ = 0;  // interactive texts queued
  std::size_t running_ = 0;
  std::size_t running_background_ = 0;  // of running_
  std::chrono::steady_clock::time_point last_interactive_{};
  bool is_timer_armed_ = false;  // a wake-up for the oldest queued text is pending
  Stats stats_;
  obs::Histogram* batch_sizes_ = nullptr;  // owned by options_.metrics
  obs::Collection metrics_;                // last: unregistered before the rest goes away
};

/// An Embedder running a local EmbeddingModel through a Batcher.
class BatchedEmbedder final : public Embedder {
 public:
  explicit BatchedEmbedder(std::shared_ptr<Batcher> batcher) : batcher_(std::move(batcher)) {}
  std::string model() const override { return batcher_->model().name(); }
  std::size_t dimension() const override { return batcher_->model().dimension(); }
  ModelCard card() const override { return batcher_->model().card(); }
  bool supports_dimensions() const override { return batcher_->model().supports_dimensions(); }
  boost::asio::awaitable<core::Result<Embeddings>> embed(std::vector<std::string> texts) override {
    return batcher_->submit(std::move(texts));
  }
  boost::asio::awaitable<core::Result<Embeddings>> embed_background(std::vector<std::string> texts) override {
    return batcher_->submit(std::move(texts), Priority::background);
  }
  std::optional<std::size_t> count_tokens(std::string_view text) const override {
    return batcher_->model().count_tokens(text);
  }
  /// The model's own batch call: the caller hands it full batches itself.
  std::optional<std::vector<Vector>> embed_on_this_thread(const std::vector<std::string>& texts) const override {
    return batcher_->model().embed_batch(texts);
  }
  const Batcher& batcher() const { return *batcher_; }

 private:
  std::shared_ptr<Batcher> batcher_;
};

}  // namespace sluice::ai
