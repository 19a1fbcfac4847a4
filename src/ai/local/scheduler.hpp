#pragma once
// Continuous batching: the one thread that owns a generation model's llama.cpp context.

#include "llama_model.hpp"
#include "text_output.hpp"

#include "sluice/ai/local_model.hpp"

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/experimental/concurrent_channel.hpp>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

namespace sluice::ai::local {

using Clock = std::chrono::steady_clock;

/// One request's sequence, shared by the request's coroutine and the scheduler thread.
struct Sequence {
  Sequence(boost::asio::any_io_executor executor, std::vector<llama_token> prompt_tokens, SamplerPtr chain,
           const SamplingParams& params)
      : prompt(std::move(prompt_tokens)),
        sampler(std::move(chain)),
        max_tokens(params.max_tokens),
        stop(params.stop),
        is_ignoring_eos(params.ignore_eos),
        wake(std::move(executor), 1) {}

  // Set before submit(), read-only afterwards (the sampler is used by the scheduler thread only).
  std::vector<llama_token> prompt;
  SamplerPtr sampler;
  std::size_t max_tokens;
  std::vector<std::string> stop;
  bool is_ignoring_eos;
  Clock::time_point enqueued = Clock::now();
  /// Set by the coroutine when it stops listening (client gone, deadline, cancellation); the
  /// scheduler frees the sequence's slot at its next step.
  std::atomic<bool> is_cancelled{false};

  // Output, written by the scheduler thread and taken by the coroutine; guarded by `mutex`.
  std::mutex mutex;
  std::string ready;  // text not taken yet
  bool is_done = false;
  std::string finish_reason;
  std::optional<core::Error> error;
  std::size_t completion_tokens = 0;
  /// Signalled (try_send, capacity 1) after each write above; completes on the request's executor.
  boost::asio::experimental::concurrent_channel<void(boost::system::error_code)> wake;
};

struct SchedulerOptions {
  std::size_t parallel = 4;
  std::size_t context_per_sequence = 512;
  std::size_t batch_tokens = 512;
  std::size_t max_queue = 64;
  std::chrono::microseconds gather{2000};  // an idle model starts once no newcomer came for this long
  int threads = 1;
  std::shared_ptr<LocalModelObserver> observer;
};

/// Each decode step carries the next token of every generating sequence plus chunks of prompts
/// (up to batch_tokens in all), so a long prompt does not stall the others' tokens. A slot keeps
/// the KV cells of its last sequence and a newcomer reuses the longest cached prefix. Sequences
/// join and leave between steps: on EOS, a stop string, max_tokens, the context's end, or
/// cancellation.
class Scheduler {
 public:
  /// Creates the context (parallel × context_per_sequence cells) and starts the thread.
  static core::Result<std::unique_ptr<Scheduler>> start(std::shared_ptr<LoadedModel> model, SchedulerOptions options);
  ~Scheduler();  // stops the thread; unfinished sequences end with 503 shutting_down

  /// Queues a sequence; false when the queue is full.
  bool submit(std::shared_ptr<Sequence> sequence);
  std::size_t context_per_sequence() const { return options_.context_per_sequence; }
  std::size_t busy_sequences() const { return busy_.load(); }
  std::size_t queued() const { return queued_.load(); }

 private:
  struct Slot;
  Scheduler(std::shared_ptr<LoadedModel> model, ContextPtr context, SchedulerOptions options);
  void run();
  void gather_locked(std::unique_lock<std::mutex>& lock);
  void admit_locked();
  void assign(Slot& slot, std::shared_ptr<Sequence> sequence);
  void step();
  void sample(Slot& slot);
  void finish(Slot& slot, std::string reason, std::optional<core::Error> error = std::nullopt);
  void publish(Slot& slot, std::string text);
  /// Updates the throughput window and tells the observer; `is_idle`: nothing runs any more.
  void report(std::size_t generated, bool is_idle);

  std::shared_ptr<LoadedModel> model_;
  ContextPtr context_;  // used by the scheduler thread only
  SchedulerOptions options_;
  std::vector<Slot> slots_;  // scheduler thread only
  llama_batch batch_;
  Clock::duration last_step_ = Clock::duration::max();  // how long the last llama_decode took
  std::size_t rotation_ = 0;  // which prompt gets the step's spare tokens first (fairness)
  std::atomic<std::size_t> busy_{0};
  std::atomic<std::size_t> queued_{0};
  // Throughput over the last second, for the tokens/s gauge (scheduler thread only).
  Clock::time_point window_start_ = Clock::now();
  std::size_t window_tokens_ = 0;
  double tokens_per_second_ = 0;

  mutable std::mutex mutex_;  // guards the queue and stopping_
  std::condition_variable wakeup_;
  std::deque<std::shared_ptr<Sequence>> queue_;
  bool is_stopping_ = false;
  std::thread thread_;
};

}  // namespace sluice::ai::local
