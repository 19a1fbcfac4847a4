#pragma once
// The durable job queue: job types and their handlers, enqueueing, and the workers that run
// them (in `sluice serve`, or in `sluice worker` processes sharing the same store).

#include "sluice/core/compute_pool.hpp"
#include "sluice/jobs/job_store.hpp"
#include "sluice/obs/metrics.hpp"

#include <atomic>
#include <condition_variable>
#include <exception>
#include <future>
#include <functional>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <unordered_map>
#include <unordered_set>
#include <vector>

namespace sluice::jobs {

/// Thrown by JobContext::throw_if_cancelled(): the job stops as cancelled (or as a timed-out
/// attempt), not as a failure of the handler.
class JobCancelled : public std::runtime_error {
 public:
  JobCancelled() : std::runtime_error("job cancelled") {}
};

/// What a running handler sees of its job.
class JobContext {
 public:
  JobContext(Claim claim, JobStore& store);

  const Job& job() const { return claim_.job; }
  const boost::json::value& payload() const { return claim_.job.payload; }
  /// Progress as a fraction in [0, 1] with a message; writes are throttled to 10 per second.
  void progress(double fraction, const std::string& message = {});
  /// True once cancellation was requested, the attempt timed out or the lease was lost.
  bool is_cancelled() const { return is_cancelled_.load(); }
  void throw_if_cancelled() const {
    if (is_cancelled()) throw JobCancelled();
  }

 private:
  friend class Workers;
  Claim claim_;
  JobStore& store_;
  std::atomic<bool> is_cancelled_{false};
  std::atomic<bool> has_timed_out_{false};
  std::atomic<bool> was_cancel_requested_{false};
  std::chrono::steady_clock::time_point deadline_;
  std::chrono::steady_clock::time_point last_progress_{};
};

/// Runs one job: returns its result, throws to fail the attempt.
using JobHandler = std::function<boost::json::value(JobContext&)>;

class JobQueue {
 public:
  /// With `metrics`, reports sluice_jobs{state} (the store's counts) at every scrape.
  explicit JobQueue(std::shared_ptr<JobStore> store, std::shared_ptr<obs::Registry> metrics = nullptr);
  ~JobQueue();

  /// Registers the handler for a job type (before workers start).
  void handle(std::string type, JobHandler handler);
  const JobHandler* handler(const std::string& type) const;
  /// The types with a handler: what this queue's workers claim.
  JobTypes handled_types() const;
  /// Registers a handler that mostly waits on work done elsewhere (a batch awaiting model calls
  /// that run on the compute pool): it runs on the worker thread itself, never through
  /// WorkerOptions::run_handler, so it cannot hold a compute thread while waiting for one.
  void handle_waiting(std::string type, JobHandler handler);
  bool is_waiting(const std::string& type) const { return waiting_types_.contains(type); }

  /// Stores a job and wakes local workers. Concurrent calls are group-committed: while one
  /// batch is written, the next one gathers, so a burst costs one transaction (or one Redis
  /// round trip) per batch instead of one per job.
  Job enqueue(std::string type, boost::json::value payload, const EnqueueOptions& options = {});
  JobStore& store() { return *store_; }

  // Awaitable calls for IO threads (handlers, /metrics, /ready): they never block the caller's
  // event loop. An asynchronous store (Redis) answers them on the caller's loop; otherwise the
  // blocking call runs on two storage threads. Store failures are thrown, as by the blocking calls.

  /// enqueue() for coroutines: group-committed with concurrent enqueues in the same way.
  boost::asio::awaitable<Job> submit(std::string type, boost::json::value payload, EnqueueOptions options = {});
  /// Several jobs in one commit (one transaction, or one pipelined Redis write), stored in order.
  boost::asio::awaitable<std::vector<Job>> submit_all(std::vector<NewJob> jobs);
  boost::asio::awaitable<std::optional<Job>> find(std::string id);
  boost::asio::awaitable<std::vector<Job>> list(JobFilter filter);
  boost::asio::awaitable<CancelOutcome> cancel(std::string id);
  boost::asio::awaitable<std::vector<std::pair<JobState, std::size_t>>> counts();
  boost::asio::awaitable<bool> is_healthy();

  /// A blocking store call the awaitable ones above do not cover (claims and leases for
  /// workers over HTTP), run on the storage threads and awaited without blocking the caller.
  template <class F>
  auto on_storage(F call) {
    return storage_->run([store = store_, call = std::move(call)] { return call(*store); });
  }

  /// Wakes local idle workers (enqueue does this itself).
  void notify();
  /// Blocks up to `wait` for notify(); returns early when woken.
  void wait_for_work(Millis wait);

 private:
  void commit_loop();
  void push(NewJob job, std::function<void(std::exception_ptr, Job)> done);
  /// Queues all of `jobs` under one lock, so that the committer writes them in one batch.
  void push_all(std::vector<NewJob> jobs, std::function<void(std::exception_ptr, std::vector<Job>)> done);

  std::shared_ptr<JobStore> store_;
  std::shared_ptr<core::ComputePool> storage_;  // runs blocking store calls for the awaitable ones
  std::unordered_map<std::string, JobHandler> handlers_;
  std::unordered_set<std::string> waiting_types_;
  struct Pending;
  std::mutex pending_mutex_;  // guards pending_ and is_closing_
  std::condition_variable pending_signal_;
  std::vector<Pending> pending_;
  bool is_closing_ = false;
  std::thread committer_;
  std::mutex wake_mutex_;  // guards wake_count_
  std::condition_variable wake_;
  std::uint64_t wake_count_ = 0;
  obs::Collection metrics_;
};

struct WorkerOptions {
  std::size_t concurrency = 1;  // jobs run at once (one thread each)
  Millis lease{30'000};         // renewed every min(lease/3, 1 s) while a job runs
  Millis poll_interval{50};     // idle wait between claims (local enqueues wake workers at once)
  std::string name;             // appears in job records; default host:pid
  /// Where handlers run: given a handler call, runs it and returns when it is done. Empty: on
  /// the worker thread. `sluice serve` runs them on its compute pool, so job work and model work
  /// share one CPU budget instead of oversubscribing the cores.
  std::function<void(const std::function<void()>&)> run_handler;
};

/// Worker threads claiming and running jobs, plus one heartbeat thread renewing their leases,
/// relaying cancellation and enforcing per-attempt timeouts. Handlers run on worker threads,
/// never on IO threads, so they may do CPU-heavy work directly.
class Workers {
 public:
  Workers(JobQueue& queue, WorkerOptions options);
  ~Workers();
  void start();
  /// Stops claiming, signals running handlers to stop, and joins. Jobs cut short keep their
  /// lease until it expires, then run again elsewhere: nothing is lost.
  void stop();
  std::size_t running() const;
  /// Jobs these workers have completed successfully so far.
  std::uint64_t completed() const { return completed_.load(); }

 private:
  void work_loop();
  void heartbeat_loop();
  /// Runs one claimed job; a success is appended to `done` (completed in batches), every other
  /// outcome is written at once.
  void run(JobContext& context, std::vector<std::pair<Claim, boost::json::value>>& done);
  void flush(std::vector<std::pair<Claim, boost::json::value>>& done);
  /// Retries a store write while the store is unreachable (e.g. Redis restarting).
  template <class F>
  bool settle(F write);

  JobQueue& queue_;
  WorkerOptions options_;
  std::atomic<bool> is_stopping_{false};
  std::mutex stop_mutex_;  // with stop_signal_: wakes the heartbeat thread for stop()
  std::condition_variable stop_signal_;
  std::vector<std::thread> threads_;
  mutable std::mutex active_mutex_;  // guards active_
  std::vector<JobContext*> active_;
  std::atomic<std::uint64_t> completed_{0};
};

/// Delay before retry `attempt` (1-based): backoff · 2^(attempt-1), ±50% jitter, at most 1 h.
Millis retry_delay(const Job& job);

}  // namespace sluice::jobs
