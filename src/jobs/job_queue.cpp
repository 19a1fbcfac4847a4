#include "sluice/jobs/job_queue.hpp"

#include <boost/asio/async_result.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>

namespace sluice::jobs {

namespace asio = boost::asio;
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

struct JobQueue::Pending {
  NewJob job;
  std::function<void(std::exception_ptr, Job)> done;  // called on the committer thread
};

namespace {

using Counts = std::vector<std::pair<JobState, std::size_t>>;
constexpr JobState kStates[] = {JobState::queued,    JobState::running, JobState::retrying,
                                JobState::succeeded, JobState::failed,  JobState::cancelled};

/// `call(AsyncJobStore&)` when the store is asynchronous, else `blocking(JobStore&)` on the
/// storage threads; either way an awaitable that does not block the caller's event loop.
/// Deliberately not a coroutine: GCC 12 destroyed a closure held in a coroutine frame twice.
template <class Async, class Blocking>
auto ask(const std::shared_ptr<JobStore>& store, core::ComputePool& storage, Async call, Blocking blocking)
    -> decltype(call(std::declval<AsyncJobStore&>())) {
  if (auto* async = store->async()) return call(*async);
  return storage.run([store, blocking = std::move(blocking)] { return blocking(*store); });
}

/// `handler` as a callback the committer thread may call: the result is posted to the caller's
/// executor, which the work guard keeps running meanwhile.
template <class Handler>
auto resumed_on_callers_executor(Handler handler) {
  struct Waiting {
    Handler handler;
    asio::executor_work_guard<asio::associated_executor_t<Handler>> work;
  };
  auto work = asio::make_work_guard(handler);
  auto waiting = std::make_shared<Waiting>(Waiting{std::move(handler), std::move(work)});
  return [waiting](std::exception_ptr error, auto stored) {
    auto executor = waiting->work.get_executor();
    asio::post(executor, [waiting, error, stored = std::move(stored)]() mutable {
      waiting->work.reset();
      std::move(waiting->handler)(error, std::move(stored));
    });
  };
}

asio::awaitable<Counts> counts_of(const std::shared_ptr<JobStore>& store, core::ComputePool& storage) {
  return ask(
      store, storage, [](AsyncJobStore& s) { return s.counts(); }, [](JobStore& s) { return s.counts(); });
}

}  // namespace

JobQueue::JobQueue(std::shared_ptr<JobStore> store, std::shared_ptr<obs::Registry> metrics)
    : store_(std::move(store)), storage_(std::make_shared<core::ComputePool>(2)) {
  committer_ = std::thread([this] { commit_loop(); });
  if (!metrics) return;
  // Captures shared pointers, not `this`: a scrape may still be awaiting the store when the
  // queue goes away.
  metrics_ = metrics->add_async_collector([store = store_, storage = storage_](obs::Scrape& out) -> asio::awaitable<void> {
    Counts counts;
    try {
      counts = co_await counts_of(store, *storage);
    } catch (const std::exception& e) {
      spdlog::debug("job counts unavailable for /metrics: {}", e.what());
      co_return;  // the store is down: /ready says so; the other series still render
    }
    for (auto state : kStates) {
      std::size_t n = 0;
      for (auto [s, count] : counts)
        if (s == state) n = count;
      obs::Labels labels;  // no braced list of pairs: GCC 12 rejects them inside coroutines
      labels.emplace_back("state", to_string(state));
      out.gauge("sluice_jobs", "Jobs in the job store, by state.", static_cast<double>(n), labels);
    }
  });
}

JobQueue::~JobQueue() {
  metrics_.reset();
  {
    std::lock_guard lock(pending_mutex_);
    is_closing_ = true;
  }
  pending_signal_.notify_all();
  committer_.join();
}

void JobQueue::commit_loop() {
  std::unique_lock lock(pending_mutex_);
  for (;;) {
    pending_signal_.wait(lock, [&] { return is_closing_ || !pending_.empty(); });
    if (pending_.empty()) return;  // closing, nothing left
    std::vector<Pending> batch;
    batch.swap(pending_);
    lock.unlock();
    std::vector<NewJob> jobs;
    jobs.reserve(batch.size());
    for (auto& item : batch) jobs.push_back(std::move(item.job));
    std::vector<Job> stored;
    std::exception_ptr error;
    try {
      stored = store_->enqueue_batch(std::move(jobs));
      notify();  // once per batch: waking every worker per job made them race for single jobs
    } catch (...) {
      error = std::current_exception();
    }
    for (std::size_t i = 0; i < batch.size(); ++i) batch[i].done(error, error ? Job{} : std::move(stored[i]));
    lock.lock();
  }
}

void JobQueue::handle(std::string type, JobHandler handler) { handlers_[std::move(type)] = std::move(handler); }

void JobQueue::handle_waiting(std::string type, JobHandler handler) {
  waiting_types_.insert(type);
  handle(std::move(type), std::move(handler));
}

const JobHandler* JobQueue::handler(const std::string& type) const {
  auto it = handlers_.find(type);
  return it == handlers_.end() ? nullptr : &it->second;
}

JobTypes JobQueue::handled_types() const {
  JobTypes types;
  for (const auto& [type, handler] : handlers_) types.push_back(type);
  std::sort(types.begin(), types.end());
  return types;
}

void JobQueue::push(NewJob job, std::function<void(std::exception_ptr, Job)> done) {
  {
    std::lock_guard lock(pending_mutex_);
    pending_.push_back({std::move(job), std::move(done)});
  }
  pending_signal_.notify_one();
}

Job JobQueue::enqueue(std::string type, boost::json::value payload, const EnqueueOptions& options) {
  std::promise<Job> result;
  auto stored = result.get_future();
  push({std::move(type), std::move(payload), options}, [&result](std::exception_ptr error, Job job) {
    if (error) result.set_exception(error);
    else result.set_value(std::move(job));
  });
  return stored.get();
}

void JobQueue::push_all(std::vector<NewJob> jobs, std::function<void(std::exception_ptr, std::vector<Job>)> done) {
  if (jobs.empty()) return done(nullptr, {});
  // Each job's callback fills its place; the last one answers for all. They all run on the
  // committer thread, one after another: no lock needed.
  struct Gathered {
    std::vector<Job> stored;
    std::size_t left;
    std::exception_ptr error;
    std::function<void(std::exception_ptr, std::vector<Job>)> done;
  };
  auto gathered = std::make_shared<Gathered>(Gathered{std::vector<Job>(jobs.size()), jobs.size(), nullptr, std::move(done)});
  {
    std::lock_guard lock(pending_mutex_);
    for (std::size_t i = 0; i < jobs.size(); ++i)
      pending_.push_back({std::move(jobs[i]), [gathered, i](std::exception_ptr error, Job job) {
                            if (error) gathered->error = error;
                            else gathered->stored[i] = std::move(job);
                            if (--gathered->left == 0) gathered->done(gathered->error, std::move(gathered->stored));
                          }});
  }
  pending_signal_.notify_one();
}

// The committer thread completes these calls; the caller resumes on its own event loop. Not
// coroutines (see ask()).
asio::awaitable<Job> JobQueue::submit(std::string type, boost::json::value payload, EnqueueOptions options) {
  auto initiate = [this](auto handler, NewJob job) {
    push(std::move(job), resumed_on_callers_executor(std::move(handler)));
  };
  return asio::async_initiate<const asio::use_awaitable_t<>, void(std::exception_ptr, Job)>(
      std::move(initiate), asio::use_awaitable, NewJob{std::move(type), std::move(payload), std::move(options)});
}

asio::awaitable<std::vector<Job>> JobQueue::submit_all(std::vector<NewJob> jobs) {
  auto initiate = [this](auto handler, std::vector<NewJob> batch) {
    push_all(std::move(batch), resumed_on_callers_executor(std::move(handler)));
  };
  return asio::async_initiate<const asio::use_awaitable_t<>, void(std::exception_ptr, std::vector<Job>)>(
      std::move(initiate), asio::use_awaitable, std::move(jobs));
}

// Not coroutines (see ask()): each returns the store's awaitable, or the storage pool's.
asio::awaitable<std::optional<Job>> JobQueue::find(std::string id) {
  return ask(
      store_, *storage_, [id](AsyncJobStore& s) { return s.get(id); }, [id](JobStore& s) { return s.get(id); });
}

asio::awaitable<std::vector<Job>> JobQueue::list(JobFilter filter) {
  return ask(
      store_, *storage_, [filter](AsyncJobStore& s) { return s.list(filter); },
      [filter](JobStore& s) { return s.list(filter); });
}

asio::awaitable<CancelOutcome> JobQueue::cancel(std::string id) {
  return ask(
      store_, *storage_, [id](AsyncJobStore& s) { return s.cancel(id); },
      [id](JobStore& s) { return s.cancel(id); });
}

asio::awaitable<Counts> JobQueue::counts() { return counts_of(store_, *storage_); }

asio::awaitable<bool> JobQueue::is_healthy() {
  return ask(
      store_, *storage_, [](AsyncJobStore& s) { return s.is_healthy(); },
      [](JobStore& s) { return s.is_healthy(); });
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
  double base = static_cast<double>(job.backoff_ms) * std::pow(2.0, std::max(0, job.attempts - 1));
  double jittered = base * backoff_jitter();
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
  // Claim one job at a time; while jobs prove quick, claim more per round trip (up to 64), so
  // tiny jobs are not dominated by store round trips and long ones never wait behind others.
  std::size_t batch = 1;
  std::vector<std::pair<Claim, boost::json::value>> done;
  const auto types = queue_.handled_types();  // handlers are registered before workers start
  while (!is_stopping_) {
    std::vector<Claim> claims;
    try {
      claims = queue_.store().claim_batch(options_.name, options_.lease, batch, types, {});
    } catch (const std::exception& e) {
      spdlog::warn("worker: cannot claim jobs: {}", e.what());
      queue_.wait_for_work(Millis(500));
      continue;
    }
    if (claims.empty()) {
      batch = 1;
      queue_.wait_for_work(options_.poll_interval);
      continue;
    }
    // Every claimed job is registered at once so that the heartbeat renews those still waiting.
    std::vector<std::unique_ptr<JobContext>> contexts;
    {
      std::lock_guard lock(active_mutex_);
      for (auto& claim : claims) {
        contexts.push_back(std::make_unique<JobContext>(std::move(claim), queue_.store()));
        active_.push_back(contexts.back().get());
      }
    }
    auto started = SteadyClock::now();
    for (auto& context : contexts) {
      if (!is_stopping_) run(*context, done);  // not started at shutdown: the lease hands it on
      if (SteadyClock::now() - started > Millis(10)) flush(done);
    }
    flush(done);
    {
      std::lock_guard lock(active_mutex_);
      for (auto& context : contexts) std::erase(active_, context.get());
    }
    auto per_job = (SteadyClock::now() - started) / contexts.size();
    batch = per_job < Millis(2) ? std::min<std::size_t>(batch * 2, 64) : 1;
  }
}

void Workers::flush(std::vector<std::pair<Claim, boost::json::value>>& done) {
  if (done.empty()) return;
  std::size_t held = 0;
  settle([&] {
    held = queue_.store().complete_batch(done);
    return true;
  });
  completed_ += held;
  done.clear();
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

void Workers::run(JobContext& context, std::vector<std::pair<Claim, boost::json::value>>& done) {
  auto& store = queue_.store();
  const Claim& held = context.claim_;
  const JobHandler* handler = queue_.handler(held.job.type);
  std::string error;
  boost::json::value result;
  bool has_result = false;
  if (!handler) {
    error = "no handler registered for job type '" + held.job.type + "'";
  } else if (!context.is_cancelled()) {
    auto call = [&] {
      try {
        result = (*handler)(context);
        has_result = true;
      } catch (const JobCancelled&) {
      } catch (const std::exception& e) {
        error = e.what();
      } catch (...) {
        error = "handler threw a non-standard exception";
      }
    };
    if (options_.run_handler && !queue_.is_waiting(held.job.type)) options_.run_handler(call);
    else call();
  }
  if (context.has_timed_out_) return;  // the heartbeat thread already failed this attempt
  if (context.was_cancel_requested_ && !has_result) {
    settle([&] { return store.mark_cancelled(held); });
  } else if (has_result) {
    done.emplace_back(held, std::move(result));
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
