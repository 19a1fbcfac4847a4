#pragma once
// Where durable jobs live. Every backend passes the same conformance suite
// (tests/jobs/job_store_test.cpp). Its calls block briefly (disk or network): workers call them
// from their threads; IO threads use JobQueue's awaitable calls instead.

#include "sluice/jobs/job.hpp"

#include <boost/asio/awaitable.hpp>

#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace sluice::client {
class RedisClient;
}

namespace sluice::jobs {

class ScheduleStore;

/// The awaitable face of a store whose backend is asynchronous (Redis): the reads and the
/// cancel that handlers need, awaited on the caller's event loop without blocking it.
class AsyncJobStore {
 public:
  virtual ~AsyncJobStore() = default;
  virtual boost::asio::awaitable<std::optional<Job>> get(std::string id) = 0;
  virtual boost::asio::awaitable<std::vector<Job>> list(JobFilter filter) = 0;
  virtual boost::asio::awaitable<CancelOutcome> cancel(std::string id) = 0;
  virtual boost::asio::awaitable<std::vector<std::pair<JobState, std::size_t>>> counts() = 0;
  virtual boost::asio::awaitable<bool> is_healthy() = 0;
};

/// The job types a claim takes; empty: any. Workers claim only the types they have handlers for,
/// so processes that share a store may each run a different set (`sluice worker` runs batches,
/// not the serving process's dataset indexing).
using JobTypes = std::vector<std::string>;
/// The queues a claim takes from; empty: every queue.
using JobQueues = std::vector<std::string>;

/// One job to enqueue, for enqueue_batch.
struct NewJob {
  std::string type;
  boost::json::value payload;
  EnqueueOptions options;
};

class JobStore {
 public:
  virtual ~JobStore() = default;

  /// Stores a new queued job; with an idempotency key already used, returns that job instead.
  Job enqueue(std::string type, boost::json::value payload, const EnqueueOptions& options);
  virtual std::optional<Job> get(const std::string& id) = 0;
  /// Newest first.
  virtual std::vector<Job> list(const JobFilter& filter) = 0;

  /// Takes the next due job (highest priority, then oldest) for `worker`, leasing it for
  /// `lease`. Running jobs whose lease has expired are re-queued (or dead-lettered when out of
  /// attempts) first, so a dead worker's job is never lost.
  ///
  /// An attempt lasts at most the job's timeout, whoever runs it (in-process or over HTTP): a
  /// lease never reaches past the attempt's deadline, the holder's writes are refused after it,
  /// and the claim that finds the lease expired there fails the attempt as "timed out after N
  /// ms" (retried after retry_delay's backoff, as an in-process timeout is).
  std::optional<Claim> claim(const std::string& worker, Millis lease, const JobTypes& types = {},
                             const JobQueues& queues = {});
  /// Extends the lease (up to the attempt's deadline); false when it was lost (expired and taken
  /// over, past the deadline, or the job finished). Sets `cancel_requested` when someone asked
  /// to cancel the job.
  virtual bool heartbeat(const Claim& claim, Millis lease, bool& cancel_requested) = 0;
  virtual bool report_progress(const Claim& claim, double fraction, const std::string& message) = 0;
  virtual bool complete(const Claim& claim, const boost::json::value& result) = 0;
  /// Records a failed attempt: retried after `retry_delay` while attempts remain, else failed
  /// for good (kept, with its error, as a dead letter).
  virtual bool fail(const Claim& claim, const std::string& error, Millis retry_delay) = 0;
  /// The running job stopped because it was cancelled.
  virtual bool mark_cancelled(const Claim& claim) = 0;

  /// Queued or retrying → cancelled at once; running → cancellation requested (the handler
  /// sees it through its context and stops).
  virtual CancelOutcome cancel(const std::string& id) = 0;

  // Batches: the same semantics as one call per item, in one transaction or round trip
  // (per-job round trips dominate small jobs); enqueue() and claim() are one-item batches.
  virtual std::vector<Job> enqueue_batch(std::vector<NewJob> jobs) = 0;
  /// Up to `max` due jobs of `types` in `queues`, each with its own lease.
  virtual std::vector<Claim> claim_batch(const std::string& worker, Millis lease, std::size_t max,
                                         const JobTypes& types, const JobQueues& queues) = 0;
  /// Completes each held claim with its result; returns how many were still held.
  virtual std::size_t complete_batch(const std::vector<std::pair<Claim, boost::json::value>>& done) = 0;

  /// Number of jobs per state (for metrics and tests).
  virtual std::vector<std::pair<JobState, std::size_t>> counts() = 0;
  /// Whether the backend answers (for /ready).
  virtual bool is_healthy() = 0;

  /// The store's awaitable calls, when its backend has them; null: JobQueue runs the blocking
  /// calls on its storage threads instead.
  virtual AsyncJobStore* async() { return nullptr; }
  /// The schedules kept beside the jobs (sluice/jobs/schedule.hpp); null: this backend has none.
  virtual ScheduleStore* schedules() { return nullptr; }
};

/// SQLite (WAL) in one file; the embedded default. Several processes may share the file.
std::shared_ptr<JobStore> open_sqlite_store(const std::string& path);
/// Redis, for several machines sharing the work: at `url` (redis://[[user]:password@]host[:port][/db]),
/// or over an existing client (sharing its connections, AUTH and database). Every operation
/// is one Lua script; calls ride out a Redis restart (retried within their deadline, and
/// idempotent, so a call whose reply was lost can be repeated).
std::shared_ptr<JobStore> open_redis_store(const std::string& url, const std::string& prefix = "sluice:jobs:");
std::shared_ptr<JobStore> open_redis_store(std::shared_ptr<client::RedisClient> redis,
                                           const std::string& prefix = "sluice:jobs:");

}  // namespace sluice::jobs
