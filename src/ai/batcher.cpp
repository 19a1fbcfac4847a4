#include "sluice/ai/batcher.hpp"

#include <fmt/format.h>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/experimental/concurrent_channel.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <functional>
#include <optional>

namespace sluice::ai {

namespace asio = boost::asio;
using Clock = std::chrono::steady_clock;

namespace {
constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);
}

struct Batcher::Entry {
  Entry(asio::any_io_executor executor, std::vector<std::string> t, std::size_t n)
      : texts(std::move(t)), tokens(n), enqueued(Clock::now()), done(std::move(executor), 1) {}
  std::vector<std::string> texts;
  std::size_t tokens;
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
}

Batcher::~Batcher() = default;

Batcher::Stats Batcher::stats() const {
  std::lock_guard lock(mutex_);
  auto out = stats_;
  out.queued = queued_texts_;
  return out;
}

asio::awaitable<core::Result<Embeddings>> Batcher::submit(std::vector<std::string> texts) {
  if (texts.empty()) co_return Embeddings{};
  auto self = shared_from_this();  // queued work may outlive every other owner
  auto executor = co_await asio::this_coro::executor;
  std::size_t tokens = 0;
  for (const auto& text : texts) tokens += model_->count_tokens(text);
  const std::size_t count = texts.size();
  auto entry = std::make_shared<Entry>(executor, std::move(texts), tokens);

  bool is_full = false;
  {
    std::lock_guard lock(mutex_);
    // An empty queue always admits one request, however large, so none is refused forever.
    if (queued_texts_ > 0 && queued_texts_ + count > options_.max_queue) {
      is_full = true;
      ++stats_.rejected;
    } else {
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
  asio::steady_timer deadline(executor, entry->enqueued + options_.timeout);
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

void Batcher::dispatch_locked() {
  while (running_ < options_.max_running) {
    // The batch: a prefix of the queue within the limits; callers who left are dropped here.
    std::vector<std::shared_ptr<Entry>> batch;
    std::size_t texts = 0, tokens = 0;
    bool is_full = false;
    for (auto it = queue_.begin(); it != queue_.end();) {
      const auto& entry = *it;
      if (entry->is_abandoned) {
        queued_texts_ -= entry->texts.size();
        ++stats_.dropped;
        if (observer_) observer_->on_dropped();
        it = queue_.erase(it);
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
    if (batch.empty()) break;
    is_full = is_full || texts >= options_.max_batch_size || tokens >= options_.max_batch_tokens;
    // An idle model takes texts at once: waiting for company only pays while it is busy.
    bool is_due = running_ == 0 || Clock::now() - batch.front()->enqueued >= options_.max_wait;
    if (!is_full && !is_due) break;
    queue_.erase(queue_.begin(), queue_.begin() + static_cast<std::ptrdiff_t>(batch.size()));
    queued_texts_ -= texts;
    ++running_;
    ++stats_.batches;
    stats_.texts += texts;
    if (observer_) {
      observer_->on_batch(texts, batch.size());
      observer_->on_queue_depth(queued_texts_);
    }
    compute_.post(
        [self = shared_from_this(), batch = std::move(batch)]() mutable { self->run_batch(std::move(batch)); });
  }
  // Texts left waiting for company while the model has room: wake up when the oldest is due.
  // (With the model full, the next batch to finish dispatches them instead.)
  if (!queue_.empty() && running_ < options_.max_running && !is_timer_armed_) arm_timer_locked();
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
  const auto due = queue_.front()->enqueued + options_.max_wait;
  // The timer runs on the oldest caller's IO thread: the batcher owns no event loop of its own.
  asio::co_spawn(
      queue_.front()->done.get_executor(),
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

void Batcher::run_batch(std::vector<std::shared_ptr<Entry>> batch) {
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
  dispatch_locked();
}

}  // namespace sluice::ai
