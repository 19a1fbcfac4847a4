#include "sluice/ai/batcher.hpp"

#include <fmt/format.h>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/experimental/concurrent_channel.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <pthread.h>
#include <sched.h>

#include <functional>
#include <optional>
#include <thread>

namespace sluice::ai {

namespace asio = boost::asio;
using Clock = std::chrono::steady_clock;

namespace {
constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);

/// Where background batches (batch jobs) run while interactive texts are about: one thread per
/// CPU at Linux's lowest CPU priority, SCHED_IDLE. An interactive text — embedded on the compute
/// pool at normal priority — then takes the CPU from a running background batch at once instead
/// of sharing it: the slot the batcher keeps free is not enough when both slots' threads share
/// the same cores. Without interactive traffic background batches stay on the compute pool:
/// SCHED_IDLE threads get no CPU at all while other processes keep the machine busy. Lowering
/// a thread's policy needs no privilege, raising it back would: hence threads of their own,
/// process-wide and never destroyed (detached), created on first use.
class IdleThreads {
 public:
  static IdleThreads& instance() {
    static auto* threads = new IdleThreads(core::available_cpus());
    return *threads;
  }
  void post(std::function<void()> fn) { asio::post(io_, std::move(fn)); }

 private:
  explicit IdleThreads(std::size_t count) {
    for (std::size_t i = 0; i < count; ++i)
      std::thread([this] {
        sched_param param{};  // SCHED_IDLE has priority 0 only
        pthread_setschedparam(pthread_self(), SCHED_IDLE, &param);
        io_.run();
      }).detach();
  }
  asio::io_context io_;
  asio::executor_work_guard<asio::io_context::executor_type> guard_ = asio::make_work_guard(io_);
};
}  // namespace

struct Batcher::Entry {
  Entry(asio::any_io_executor executor, std::vector<std::string> t, std::size_t n, bool background)
      : texts(std::move(t)), tokens(n), is_background(background), enqueued(Clock::now()), done(std::move(executor), 1) {}
  std::vector<std::string> texts;
  std::size_t tokens;
  bool is_background;
  Clock::time_point enqueued;
  std::atomic<bool> is_abandoned{false};
  // Written by the compute thread before it signals `done`; the channel orders the two.
  std::optional<core::Result<Embeddings>> result;
  asio::experimental::concurrent_channel<void(boost::system::error_code)> done;
};

namespace {

/// Marks an entry abandoned however its caller's coroutine ends (timeout, cancellation,
/// destruction): a queued entry is then dropped instead of computed.
struct AbandonOnExit {
  std::shared_ptr<Batcher::Entry> entry;
  ~AbandonOnExit() { entry->is_abandoned = true; }
};

}  // namespace

Batcher::Batcher(std::shared_ptr<const EmbeddingModel> model, core::ComputePool& compute, BatcherOptions options,
                 std::shared_ptr<BatcherObserver> observer)
    : model_(std::move(model)), compute_(compute), options_(options), observer_(std::move(observer)) {
  if (options_.max_batch_size == 0) options_.max_batch_size = 1;
  if (options_.max_running == 0) options_.max_running = compute_.size();
  if (!options_.metrics) return;
  const obs::Labels labels{{"model", model_->name()}};
  batch_sizes_ = &options_.metrics->histogram("sluice_ai_batch_size", "Texts per embedding batch", labels,
                                              {1, 2, 4, 8, 16, 32, 64, 128, 256});
  metrics_ = options_.metrics->add_collector([this, labels](obs::Scrape& out) {
    auto now = stats();
    out.counter("sluice_ai_batches_total", "Embedding batches run", static_cast<double>(now.batches), labels);
    out.counter("sluice_ai_batch_texts_total", "Texts embedded in batches", static_cast<double>(now.texts), labels);
    out.counter("sluice_ai_rejected_total", "Embedding requests refused: queue full",
                static_cast<double>(now.rejected), labels);
    out.counter("sluice_ai_dropped_total", "Embedding requests dropped before their batch ran (caller left)",
                static_cast<double>(now.dropped), labels);
    out.gauge("sluice_ai_queue_depth", "Texts waiting for the embedder", static_cast<double>(now.queued), labels);
  });
}

Batcher::~Batcher() = default;

Batcher::Stats Batcher::stats() const {
  std::lock_guard lock(mutex_);
  auto out = stats_;
  out.queued = queued_texts_;
  out.queued_background = background_.size();
  return out;
}

asio::awaitable<core::Result<Embeddings>> Batcher::submit(std::vector<std::string> texts, Priority priority) {
  if (texts.empty()) co_return Embeddings{};
  auto self = shared_from_this();  // queued work may outlive every other owner
  auto executor = co_await asio::this_coro::executor;
  const std::size_t count = texts.size();
  // One request's texts count against the queue like everybody's: a request that could never
  // fit is refused, not admitted alone (200,000 inputs once took the server's memory that way).
  const bool is_background = priority == Priority::background;
  if (!is_background && count > options_.max_queue)
    co_return core::Error{413, "too_many_inputs",
                          fmt::format("{} texts in one request; the {} model queues at most {}", count, model_->name(),
                                      options_.max_queue),
                          nullptr};
  std::size_t tokens = 0;
  for (std::size_t i = 0; i < count; ++i) {
    const auto text_tokens = model_->count_tokens(texts[i]);
    if (text_tokens > options_.max_text_tokens)
      co_return core::Error{400, "input_too_long",
                            fmt::format("input {} has {} tokens; the {} model takes at most {}", i, text_tokens,
                                        model_->name(), options_.max_text_tokens),
                            nullptr};
    tokens += text_tokens;
  }
  auto entry = std::make_shared<Entry>(executor, std::move(texts), tokens, is_background);

  bool is_full = false;
  {
    std::lock_guard lock(mutex_);
    if (is_background) {
      background_.push_back(entry);
      dispatch_locked();
    } else if (queued_texts_ + count > options_.max_queue) {
      is_full = true;
      ++stats_.rejected;
    } else {
      last_interactive_ = entry->enqueued;
      queue_.push_back(entry);
      queued_texts_ += count;
      if (observer_) observer_->on_queue_depth(queued_texts_);
      dispatch_locked();
    }
  }
  if (is_full) {
    if (observer_) observer_->on_rejected();
    co_return core::Error{
        503, "queue_full",
        fmt::format("the {} model's queue is full ({} texts); retry later", model_->name(), options_.max_queue),
        nullptr};
  }
  AbandonOnExit guard{entry};

  using namespace asio::experimental::awaitable_operators;
  // Background callers wait as long as it takes: they yield to interactive work by design.
  asio::steady_timer deadline(executor, is_background ? Clock::time_point::max() : entry->enqueued + options_.timeout);
  auto outcome = co_await (entry->done.async_receive(use_tuple) || deadline.async_wait(use_tuple));
  if (outcome.index() == 1)
    co_return core::Error{
        504, "timeout",
        fmt::format("the {} model did not answer within {} ms", model_->name(), options_.timeout.count()), nullptr};
  // Cancelled while waiting (a deadline, a client gone): the receive fails and no result exists.
  if (std::get<0>(std::get<0>(outcome)) || !entry->result)
    co_return core::Error{499, "cancelled", "the request was cancelled", nullptr};
  co_return std::move(*entry->result);
}

std::size_t Batcher::background_limit_locked() const {
  // While interactive requests are about, one slot stays theirs: a text arriving then starts at
  // once instead of waiting for a background batch to finish.
  const bool is_interactive_active =
      !queue_.empty() ||
      (last_interactive_ != Clock::time_point{} && Clock::now() - last_interactive_ < options_.interactive_window);
  return is_interactive_active && options_.max_running > 1 ? options_.max_running - 1 : options_.max_running;
}

void Batcher::dispatch_locked() {
  while (running_ < options_.max_running) {
    if (dispatch_one_locked(queue_, false)) continue;
    if (running_background_ >= background_limit_locked() || !dispatch_one_locked(background_, true)) break;
  }
  // Texts left waiting for company while the model has room: wake up when the oldest is due.
  // (With the model full, the next batch to finish dispatches them instead.)
  const bool has_waiting = !queue_.empty() || (!background_.empty() && running_background_ < background_limit_locked());
  if (has_waiting && running_ < options_.max_running && !is_timer_armed_) arm_timer_locked();
}

bool Batcher::dispatch_one_locked(std::deque<std::shared_ptr<Entry>>& queue, bool is_background) {
  // The batch: a prefix of the queue within the limits; callers who left are dropped here.
  std::vector<std::shared_ptr<Entry>> batch;
  std::size_t texts = 0, tokens = 0;
  bool is_full = false;
  for (auto it = queue.begin(); it != queue.end();) {
    const auto& entry = *it;
    if (entry->is_abandoned) {
      if (!is_background) queued_texts_ -= entry->texts.size();
      ++stats_.dropped;
      if (observer_) observer_->on_dropped();
      it = queue.erase(it);
      continue;
    }
    bool fits = batch.empty() || (texts + entry->texts.size() <= options_.max_batch_size &&
                                  tokens + entry->tokens <= options_.max_batch_tokens);
    if (!fits) {
      is_full = true;
      break;
    }
    texts += entry->texts.size();
    tokens += entry->tokens;
    batch.push_back(entry);
    ++it;
  }
  if (batch.empty()) return false;
  is_full = is_full || texts >= options_.max_batch_size || tokens >= options_.max_batch_tokens;
  // An idle model takes texts at once: waiting for company only pays while it is busy. For
  // interactive texts the model counts as idle while only background batches run.
  const std::size_t busy = is_background ? running_ : running_ - running_background_;
  bool is_due = busy == 0 || Clock::now() - batch.front()->enqueued >= options_.max_wait;
  if (!is_full && !is_due) return false;
  queue.erase(queue.begin(), queue.begin() + static_cast<std::ptrdiff_t>(batch.size()));
  if (!is_background) queued_texts_ -= texts;
  ++running_;
  if (is_background) ++running_background_;
  ++stats_.batches;
  stats_.texts += texts;
  if (batch_sizes_) batch_sizes_->observe(static_cast<double>(texts));
  if (observer_) {
    observer_->on_batch(texts, batch.size());
    observer_->on_queue_depth(queued_texts_);
  }
  auto run = [self = shared_from_this(), batch = std::move(batch), is_background]() mutable {
    self->run_batch(std::move(batch), is_background);
  };
  // Interactive texts arrived recently (the batcher keeps a slot for them): yield the CPU too.
  const bool is_yielding = is_background && background_limit_locked() < options_.max_running;
  if (is_yielding) IdleThreads::instance().post(std::move(run));
  else compute_.post(std::move(run));
  return true;
}

namespace {

/// Clears the batcher's armed flag however the timer coroutine ends: fired, or destroyed with
/// the event loop it was waiting on (so that a later caller arms a new one).
struct DisarmOnExit {
  std::function<void()> disarm;
  ~DisarmOnExit() { disarm(); }
};

}  // namespace

void Batcher::arm_timer_locked() {
  is_timer_armed_ = true;
  const auto& oldest = queue_.empty() ? background_.front() : queue_.front();
  const auto due = oldest->enqueued + options_.max_wait;
  // The timer runs on the oldest caller's IO thread: the batcher owns no event loop of its own.
  asio::co_spawn(
      oldest->done.get_executor(),
      [self = shared_from_this(), due]() -> asio::awaitable<void> {
        bool has_fired = false;
        DisarmOnExit guard{[&] {
          if (has_fired) return;  // the fired path below clears the flag itself (it may re-arm)
          std::lock_guard lock(self->mutex_);
          self->is_timer_armed_ = false;
        }};
        asio::steady_timer timer(co_await asio::this_coro::executor, due);
        co_await timer.async_wait(use_tuple);
        has_fired = true;
        std::lock_guard lock(self->mutex_);
        self->is_timer_armed_ = false;
        self->dispatch_locked();
      },
      asio::detached);
}

void Batcher::run_batch(std::vector<std::shared_ptr<Entry>> batch, bool is_background) {
  std::vector<std::string> texts;
  for (auto& entry : batch)
    for (auto& text : entry->texts) texts.push_back(std::move(text));
  std::optional<core::Error> failure;
  std::vector<Vector> vectors;
  std::vector<std::size_t> tokens;
  try {
    vectors = model_->embed_batch_counted(texts, tokens);
    if (vectors.size() != texts.size() || tokens.size() != texts.size())
      failure = core::internal_error("the embedding model lost texts of a batch");
  } catch (const std::exception& e) {
    failure = core::internal_error(fmt::format("the embedding model failed: {}", e.what()));
  }
  std::size_t offset = 0;
  for (auto& entry : batch) {
    const std::size_t n = entry->texts.size();
    if (failure) {
      entry->result = *failure;
    } else {
      Embeddings out;
      for (std::size_t i = offset; i < offset + n; ++i) out.prompt_tokens += tokens[i];
      out.vectors.assign(std::make_move_iterator(vectors.begin() + static_cast<std::ptrdiff_t>(offset)),
                         std::make_move_iterator(vectors.begin() + static_cast<std::ptrdiff_t>(offset + n)));
      entry->result = std::move(out);
    }
    offset += n;
    entry->done.try_send(boost::system::error_code{});
  }
  std::lock_guard lock(mutex_);
  --running_;
  if (is_background) --running_background_;
  dispatch_locked();
}

}  // namespace sluice::ai
