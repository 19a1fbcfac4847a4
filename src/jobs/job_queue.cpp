#include "sluice/jobs/job_queue.hpp"

#include <spdlog/spdlog.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <random>

namespace sluice::jobs {

using SteadyClock = std::chrono::steady_clock;

JobContext::JobContext(Claim claim, JobStore& store)
    : claim_(std::move(claim)),
      store_(store),
      deadline_(SteadyClock::now() + Millis(std::max<std::int64_t>(1, claim_.job.timeout_ms))) {}

void JobContext::progress(double fraction, const std::string& message) {
  auto now = SteadyClock::now();
  if (fraction < 1 && now - last_progress_ < Millis(100)) return;
  last_progress_ = now;
  try {
    store_.report_progress(claim_, std::clamp(fraction, 0.0, 1.0), message);
  } catch (const std::exception& e) {  // progress is advisory: never fail the job for it
    spdlog::warn("job {}: progress not recorded: {}", claim_.job.id, e.what());
  }
}

JobQueue::JobQueue(std::shared_ptr<JobStore> store) : store_(std::move(store)) {}

void JobQueue::handle(std::string type, JobHandler handler) { handlers_[std::move(type)] = std::move(handler); }

const JobHandler* JobQueue::handler(const std::string& type) const {
  auto it = handlers_.find(type);
  return it == handlers_.end() ? nullptr : &it->second;
}

Job JobQueue::enqueue(std::string type, boost::json::value payload, const EnqueueOptions& options) {
  auto job = store_->enqueue(std::move(type), std::move(payload), options);
  notify();
  return job;
}

void JobQueue::notify() {
  {
    std::lock_guard lock(wake_mutex_);
    ++wake_count_;
  }
  wake_.notify_all();
}

void JobQueue::wait_for_work(Millis wait) {
  std::unique_lock lock(wake_mutex_);
  auto seen = wake_count_;
  wake_.wait_for(lock, wait, [&] { return wake_count_ != seen; });
}

Millis retry_delay(const Job& job) {
  thread_local std::mt19937 random{std::random_device{}()};
  double base = static_cast<double>(job.backoff_ms) * std::pow(2.0, std::max(0, job.attempts - 1));
  double jittered = base * std::uniform_real_distribution<double>(0.5, 1.5)(random);
  return Millis(static_cast<std::int64_t>(std::min(jittered, 3'600'000.0)));
}

Workers::Workers(JobQueue& queue, WorkerOptions options) : queue_(queue), options_(std::move(options)) {
  if (options_.name.empty()) {
    char host[256] = "host";
    gethostname(host, sizeof host - 1);
    options_.name = std::string(host) + ":" + std::to_string(getpid());
  }
}

Workers::~Workers() { stop(); }

void Workers::start() {
  for (std::size_t i = 0; i < std::max<std::size_t>(1, options_.concurrency); ++i)
    threads_.emplace_back([this] { work_loop(); });
  threads_.emplace_back([this] { heartbeat_loop(); });
}

void Workers::stop() {
  if (is_stopping_.exchange(true)) return;
  {
    std::lock_guard lock(stop_mutex_);
  }
  stop_signal_.notify_all();
  {
    std::lock_guard lock(active_mutex_);
    for (auto* context : active_) context->is_cancelled_ = true;
  }
  queue_.notify();
  for (auto& thread : threads_) thread.join();
  threads_.clear();
}

std::size_t Workers::running() const {
  std::lock_guard lock(active_mutex_);
  return active_.size();
}

void Workers::work_loop() {
  while (!is_stopping_) {
    std::optional<Claim> claim;
    try {
      claim = queue_.store().claim(options_.name, options_.lease);
    } catch (const std::exception& e) {
      spdlog::warn("worker: cannot claim jobs: {}", e.what());
      queue_.wait_for_work(Millis(500));
      continue;
    }
    if (!claim) {
      queue_.wait_for_work(options_.poll_interval);
      continue;
    }
    run(std::move(*claim));
  }
}

template <class F>
bool Workers::settle(F write) {
  for (int attempt = 0; attempt < 300; ++attempt) {  // 30 s: longer than a Redis restart
    try {
      return write();
    } catch (const std::exception& e) {
      if (attempt == 0) spdlog::warn("worker: store unavailable, retrying: {}", e.what());
      std::this_thread::sleep_for(Millis(100));
    }
  }
  return false;  // the lease will expire and the job will run again: late, never lost
}

void Workers::run(Claim claim) {
  auto& store = queue_.store();
  JobContext context(std::move(claim), store);
  const Claim& held = context.claim_;
  {
    std::lock_guard lock(active_mutex_);
    active_.push_back(&context);
  }
  const JobHandler* handler = queue_.handler(held.job.type);
  std::string error;
  boost::json::value result;
  bool has_result = false;
  if (!handler) {
    error = "no handler registered for job type '" + held.job.type + "'";
  } else {
    try {
      result = (*handler)(context);
      has_result = true;
    } catch (const JobCancelled&) {
    } catch (const std::exception& e) {
      error = e.what();
    } catch (...) {
      error = "handler threw a non-standard exception";
    }
  }
  {
    std::lock_guard lock(active_mutex_);
    std::erase(active_, &context);
  }
  if (context.has_timed_out_) return;  // the heartbeat thread already failed this attempt
  if (context.was_cancel_requested_ && !has_result) {
    settle([&] { return store.mark_cancelled(held); });
  } else if (has_result) {
    settle([&] { return store.complete(held, result); });
  } else if (!error.empty()) {
    spdlog::warn("job {} ({}) attempt {}/{} failed: {}", held.job.id, held.job.type, held.job.attempts,
                 held.job.max_attempts, error);
    settle([&] { return store.fail(held, error, retry_delay(held.job)); });
  }
  // else: stopped by shutdown or a lost lease; the lease expiry hands the job on.
}

void Workers::heartbeat_loop() {
  // At least every second, so that a cancel request reaches the handler promptly.
  const auto interval = std::clamp(options_.lease / 3, Millis(20), Millis(1000));
  while (!is_stopping_) {
    {
      std::unique_lock wait(stop_mutex_);
      stop_signal_.wait_for(wait, interval, [&] { return is_stopping_.load(); });
    }
    std::lock_guard lock(active_mutex_);
    for (auto* context : active_) {
      if (context->has_timed_out_) continue;
      const Claim& held = context->claim_;
      try {
        if (SteadyClock::now() > context->deadline_) {
          context->has_timed_out_ = true;
          context->is_cancelled_ = true;
          queue_.store().fail(held, "timed out after " + std::to_string(held.job.timeout_ms) + " ms",
                              retry_delay(held.job));
          continue;
        }
        bool cancel_requested = false;
        if (!queue_.store().heartbeat(held, options_.lease, cancel_requested)) {
          context->is_cancelled_ = true;  // lease lost: someone else owns the job now
        } else if (cancel_requested) {
          context->was_cancel_requested_ = true;
          context->is_cancelled_ = true;
        }
      } catch (const std::exception& e) {
        spdlog::warn("worker: heartbeat failed: {}", e.what());
      }
    }
  }
}

}  // namespace sluice::jobs
