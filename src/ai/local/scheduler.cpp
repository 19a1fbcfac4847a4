#include "scheduler.hpp"

#include <boost/asio/execution/outstanding_work.hpp>
#include <boost/asio/prefer.hpp>
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>

namespace sluice::ai::local {

struct Scheduler::Slot {
  llama_seq_id id = 0;
  std::shared_ptr<Sequence> sequence;  // null: free
  std::vector<llama_token> cached;     // tokens whose KV cells this sequence id holds, positions 0..n-1
  std::size_t prompt_done = 0;         // prompt tokens in the cache
  bool has_next = false;               // `next` was sampled and goes into the next step
  llama_token next = 0;
  std::size_t generated = 0;
  bool has_first_token = false;
  int output_index = -1;  // where this slot's logits are in the current batch, or -1
  std::size_t prompt_chunk = 0;  // prompt tokens this slot puts into the current step
  TextOutput output;

  bool is_busy() const { return sequence != nullptr; }
  bool is_prompting() const { return sequence && prompt_done < sequence->prompt.size(); }
};

core::Result<std::unique_ptr<Scheduler>> Scheduler::start(std::shared_ptr<LoadedModel> model,
                                                          SchedulerOptions options) {
  auto params = llama_context_default_params();
  params.n_ctx = static_cast<std::uint32_t>(options.context_per_sequence * options.parallel);
  params.n_batch = static_cast<std::uint32_t>(options.batch_tokens);
  params.n_ubatch = static_cast<std::uint32_t>(options.batch_tokens);
  params.n_seq_max = static_cast<std::uint32_t>(options.parallel);
  params.n_threads = options.threads;
  params.n_threads_batch = options.threads;
  params.no_perf = true;
  // One KV stream per sequence: sequences do not share prompts in general, and attention then
  // only reads the cells of its own sequence.
  params.kv_unified = false;
  ContextPtr context(llama_init_from_model(model->model.get(), params));
  if (!context)
    return core::Error{500, "model_load_failed",
                       fmt::format("cannot create a context of {} × {} tokens for '{}'", options.parallel,
                                   options.context_per_sequence, model->info.name),
                       nullptr};
  return std::unique_ptr<Scheduler>(new Scheduler(std::move(model), std::move(context), std::move(options)));
}

Scheduler::Scheduler(std::shared_ptr<LoadedModel> model, ContextPtr context, SchedulerOptions options)
    : model_(std::move(model)), context_(std::move(context)), options_(std::move(options)) {
  slots_.resize(options_.parallel);
  for (std::size_t i = 0; i < slots_.size(); ++i) slots_[i].id = static_cast<llama_seq_id>(i);
  batch_ = llama_batch_init(static_cast<std::int32_t>(options_.batch_tokens), 0, 1);
  thread_ = std::thread([this] { run(); });
}

Scheduler::~Scheduler() {
  {
    std::lock_guard lock(mutex_);
    is_stopping_ = true;
  }
  wakeup_.notify_all();
  thread_.join();
  llama_batch_free(batch_);
}

bool Scheduler::submit(std::shared_ptr<Sequence> sequence) {
  {
    std::lock_guard lock(mutex_);
    if (is_stopping_ || queue_.size() >= options_.max_queue) {
      if (options_.observer) options_.observer->on_rejected();
      return false;
    }
    queue_.push_back(std::move(sequence));
    queued_ = queue_.size();
  }
  wakeup_.notify_one();
  return true;
}


void Scheduler::run() {
  while (true) {
    {
      std::unique_lock lock(mutex_);
      const bool is_idle = std::none_of(slots_.begin(), slots_.end(), [](const Slot& s) { return s.is_busy(); });
      if (is_idle) {
        report(0, true);
        wakeup_.wait(lock, [&] { return is_stopping_ || !queue_.empty(); });
        gather_locked(lock);
      }
      if (is_stopping_) break;
      admit_locked();
      queued_ = queue_.size();
    }
    for (auto& slot : slots_)
      if (slot.is_busy() && slot.sequence->is_cancelled) finish(slot, "cancelled");
    if (std::any_of(slots_.begin(), slots_.end(), [](const Slot& s) { return s.is_busy(); })) step();
  }
  const core::Error gone{503, "shutting_down", "the server is shutting down", nullptr};
  for (auto& slot : slots_)
    if (slot.is_busy()) finish(slot, "error", gone);
  std::lock_guard lock(mutex_);
  for (auto& sequence : queue_) {
    Slot orphan;
    orphan.sequence = std::move(sequence);
    finish(orphan, "error", gone);
  }
  queue_.clear();
}

void Scheduler::gather_locked(std::unique_lock<std::mutex>& lock) {
  // A burst of requests reaches the scheduler over a few milliseconds (each is parsed and
  // tokenised first). Starting with whoever came first would make the rest wait for that step;
  // starting with part of the burst would make the rest wait for a bigger one. So an idle model
  // waits until no newcomer has arrived for `gather` (or the slots are full), 8 × gather at most.
  // Never longer than a step takes: with a model that fast, starting at once costs the rest less.
  const auto quiet = std::min<Clock::duration>(options_.gather, last_step_);
  const auto latest = Clock::now() + 8 * quiet;
  for (std::size_t seen = queue_.size(); !is_stopping_ && seen < slots_.size(); seen = queue_.size()) {
    const auto until = std::min(Clock::now() + quiet, latest);
    if (!wakeup_.wait_until(lock, until, [&] { return is_stopping_ || queue_.size() > seen; })) return;
  }
}

void Scheduler::admit_locked() {
  while (!queue_.empty()) {
    auto& sequence = queue_.front();
    if (sequence->is_cancelled) {
      Slot orphan;
      orphan.sequence = std::move(sequence);
      queue_.pop_front();
      finish(orphan, "cancelled");
      continue;
    }
    // The free slot whose cached tokens share the longest prefix with this prompt.
    Slot* best = nullptr;
    std::size_t best_common = 0;
    for (auto& slot : slots_) {
      if (slot.is_busy()) continue;
      auto mismatch = std::mismatch(slot.cached.begin(), slot.cached.end(), sequence->prompt.begin(),
                                    sequence->prompt.end());
      auto common = static_cast<std::size_t>(mismatch.first - slot.cached.begin());
      if (!best || common > best_common) {
        best = &slot;
        best_common = common;
      }
    }
    if (!best) return;
    assign(*best, std::move(sequence));
    queue_.pop_front();
  }
}

void Scheduler::assign(Slot& slot, std::shared_ptr<Sequence> sequence) {
  auto mismatch =
      std::mismatch(slot.cached.begin(), slot.cached.end(), sequence->prompt.begin(), sequence->prompt.end());
  // At least the last prompt token is decoded again: its logits give the first output token.
  auto keep = std::min(static_cast<std::size_t>(mismatch.first - slot.cached.begin()), sequence->prompt.size() - 1);
  auto* memory = llama_get_memory(context_.get());
  if (!llama_memory_seq_rm(memory, slot.id, static_cast<llama_pos>(keep), -1)) {
    llama_memory_seq_rm(memory, slot.id, -1, -1);
    keep = 0;
  }
  slot.cached.resize(keep);
  slot.prompt_done = keep;
  slot.has_next = false;
  slot.generated = 0;
  slot.has_first_token = false;
  slot.output = TextOutput(sequence->stop);
  slot.sequence = std::move(sequence);
  ++busy_;
}

void Scheduler::step() {
  auto& batch = batch_;
  batch.n_tokens = 0;
  auto add = [&batch](llama_token token, std::size_t position, llama_seq_id id, bool wants_logits) {
    const auto i = batch.n_tokens++;
    batch.token[i] = token;
    batch.pos[i] = static_cast<llama_pos>(position);
    batch.n_seq_id[i] = 1;
    batch.seq_id[i][0] = id;
    batch.logits[i] = wants_logits;
    return static_cast<int>(i);
  };
  // Every generating sequence's next token goes in; the room left goes to prompt chunks, the first
  // prompt taken in turn, so a long prompt is decoded a chunk per step between the others' tokens.
  std::size_t room = options_.batch_tokens;
  for (const auto& slot : slots_)
    if (slot.is_busy() && slot.has_next) --room;
  for (std::size_t k = 0; k < slots_.size(); ++k) {
    auto& slot = slots_[(rotation_ + k) % slots_.size()];
    slot.prompt_chunk = slot.is_prompting() ? std::min(room, slot.sequence->prompt.size() - slot.prompt_done) : 0;
    room -= slot.prompt_chunk;
  }
  // The batch lists sequences in id order. With a KV stream per sequence, llama.cpp splits a batch
  // into passes over runs of consecutive sequence ids (each pass reads all the weights again), so
  // an interleaved order would multiply the passes a burst of prompts costs.
  std::size_t prompt_tokens = 0;
  for (auto& slot : slots_) {
    slot.output_index = -1;
    if (!slot.is_busy()) continue;
    if (slot.has_next) {
      slot.output_index = add(slot.next, slot.cached.size(), slot.id, true);
      slot.cached.push_back(slot.next);
      slot.has_next = false;
    }
    const auto& prompt = slot.sequence->prompt;
    for (std::size_t j = 0; j < slot.prompt_chunk; ++j) {
      const std::size_t position = slot.prompt_done + j;
      const int index = add(prompt[position], position, slot.id, position + 1 == prompt.size());
      if (position + 1 == prompt.size()) slot.output_index = index;
      slot.cached.push_back(prompt[position]);
    }
    slot.prompt_done += slot.prompt_chunk;
    prompt_tokens += slot.prompt_chunk;
  }
  rotation_ = (rotation_ + 1) % slots_.size();
  if (batch.n_tokens == 0) return;

  const auto started = Clock::now();
  const int status = llama_decode(context_.get(), batch);
  last_step_ = Clock::now() - started;
  if (status != 0) {
    const core::Error failed{500, "decode_failed", fmt::format("llama_decode failed ({})", status), nullptr};
    spdlog::error("model '{}': llama_decode failed ({}) on a batch of {} tokens", model_->info.name, status,
                  batch.n_tokens);
    auto* memory = llama_get_memory(context_.get());
    for (auto& slot : slots_) {
      if (!slot.is_busy()) continue;
      llama_memory_seq_rm(memory, slot.id, -1, -1);
      slot.cached.clear();
      finish(slot, "error", failed);
    }
    return;
  }
  if (options_.observer && prompt_tokens > 0) options_.observer->on_prompt_tokens(prompt_tokens);
  std::size_t generated = 0;
  for (auto& slot : slots_) {
    if (!slot.is_busy() || slot.output_index < 0) continue;
    sample(slot);
    ++generated;
  }
  report(generated, false);
}

void Scheduler::sample(Slot& slot) {
  auto& sequence = *slot.sequence;
  const llama_token token = llama_sampler_sample(sequence.sampler.get(), context_.get(), slot.output_index);
  if (!slot.has_first_token) {
    slot.has_first_token = true;
    if (options_.observer) options_.observer->on_first_token(Clock::now() - sequence.enqueued);
  }
  if (!sequence.is_ignoring_eos && llama_vocab_is_eog(model_->vocab, token)) return finish(slot, "stop");
  ++slot.generated;
  if (slot.output.append(token_piece(model_->vocab, token))) return finish(slot, "stop");
  if (slot.generated >= sequence.max_tokens || slot.cached.size() >= options_.context_per_sequence)
    return finish(slot, "length");
  slot.next = token;
  slot.has_next = true;
  if (auto text = slot.output.take_ready(false); !text.empty()) publish(slot, std::move(text));
}

void Scheduler::publish(Slot& slot, std::string text) {
  auto& sequence = *slot.sequence;
  {
    std::lock_guard lock(sequence.mutex);
    sequence.ready += text;
    sequence.completion_tokens = slot.generated;
  }
  sequence.wake.try_send(boost::system::error_code{});
}

void Scheduler::finish(Slot& slot, std::string reason, std::optional<core::Error> error) {
  auto sequence = std::move(slot.sequence);
  slot.sequence.reset();
  // Once is_done is set the request may finish and its event loop stop and go; the sequence's
  // channel belongs to a service of that loop, so the loop must outlive this thread's last use
  // of the sequence. Work held on the loop until then keeps it running (a test's loop was
  // destroyed under a release here: a lock on freed memory). A cancelled request has stopped
  // listening already: its loop is not touched.
  std::optional<boost::asio::any_io_executor> loop_work;
  if (!sequence->is_cancelled.load())
    loop_work.emplace(boost::asio::prefer(sequence->wake.get_executor(),
                                          boost::asio::execution::outstanding_work.tracked));
  slot.has_next = false;
  std::string rest = error ? std::string() : slot.output.take_ready(true);
  {
    std::lock_guard lock(sequence->mutex);
    sequence->ready += rest;
    sequence->completion_tokens = slot.generated;
    sequence->finish_reason = std::move(reason);
    sequence->error = std::move(error);
    sequence->is_done = true;
  }
  // Orphans from the queue never held a slot. Counted before the wake-up: a caller that sees its
  // result must also see its slot free.
  if (&slot >= slots_.data() && &slot < slots_.data() + slots_.size()) --busy_;
  sequence->wake.try_send(boost::system::error_code{});
  sequence.reset();  // while the loop is held
  loop_work.reset();
}

void Scheduler::report(std::size_t generated, bool is_idle) {
  const auto now = Clock::now();
  window_tokens_ += generated;
  const std::chrono::duration<double> elapsed = now - window_start_;
  if (is_idle || elapsed.count() >= 1.0) {
    tokens_per_second_ = is_idle ? 0.0 : static_cast<double>(window_tokens_) / elapsed.count();
    window_start_ = now;
    window_tokens_ = 0;
  }
  if (!options_.observer) return;
  if (generated > 0) options_.observer->on_generated_tokens(generated);
  std::size_t cells = 0;
  for (const auto& slot : slots_) cells += slot.cached.size();
  options_.observer->on_step(busy_.load(), queued_.load(), cells, options_.context_per_sequence * slots_.size(),
                             tokens_per_second_);
}

}  // namespace sluice::ai::local
