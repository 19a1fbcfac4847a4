#pragma once
// A durable job as every backend stores it.

#include <boost/json/value.hpp>

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace sluice::jobs {

/// queued → running → succeeded | failed | cancelled, with retrying between attempts.
enum class JobState { queued, running, retrying, succeeded, failed, cancelled };

std::string_view to_string(JobState state);
std::optional<JobState> parse_job_state(std::string_view text);
inline bool is_terminal(JobState s) {
  return s == JobState::succeeded || s == JobState::failed || s == JobState::cancelled;
}

using Millis = std::chrono::milliseconds;

struct EnqueueOptions {
  std::string idempotency_key;   // a repeated key returns the first job instead of a new one
  int max_attempts = 3;
  Millis backoff{1000};          // first retry delay; doubles per attempt, with ±50% jitter
  Millis timeout{300'000};       // per attempt; past it the attempt fails
  int priority = 0;              // higher first
  Millis delay{0};               // earliest start, from now
  std::string owner;             // who may see the job when the routes filter by owner; empty: nobody's
  std::string queue = "default";  // workers claim from the queues they name (none named: every queue)
};

struct Job {
  std::string id;
  std::string type;
  boost::json::value payload;
  JobState state = JobState::queued;
  int priority = 0;
  int attempts = 0;
  int max_attempts = 3;
  std::int64_t backoff_ms = 1000;
  std::int64_t timeout_ms = 300'000;
  std::int64_t run_at_ms = 0;  // not before (epoch ms)
  std::int64_t created_at_ms = 0;
  std::int64_t updated_at_ms = 0;
  std::int64_t started_at_ms = 0;   // 0: never
  std::int64_t finished_at_ms = 0;  // 0: not finished
  double progress = 0;
  std::string progress_message;
  std::string last_error;
  boost::json::value result = nullptr;
  bool is_cancel_requested = false;
  std::string idempotency_key;
  std::string queue = "default";
  std::string worker;          // the name its last claim gave
  std::int64_t lease_ms = 0;   // the lease its last claim took (a heartbeat that names none renews by it)
  std::string owner;  // not in to_json: an owner is an identity, not the job's data

  boost::json::object to_json() const;
};

/// A job a worker holds: valid while its lease is renewed; every write is checked against the
/// token, so a worker that lost its lease cannot overwrite what its successor does.
struct Claim {
  Job job;
  std::string token;
};

struct JobFilter {
  std::optional<JobState> state;
  std::string type;  // empty: any
  std::optional<std::string> owner;  // only this owner's jobs; none: everyone's
  std::size_t limit = 50;
  std::size_t offset = 0;
};

/// What a cancel request did.
enum class CancelOutcome { not_found, cancelled, requested, already_finished };

std::int64_t now_ms();
std::string new_job_id();
/// A random factor in [0.5, 1.5): the ±50% jitter on retry backoff, so that jobs failed together
/// do not all come back at the same moment.
double backoff_jitter();

/// A queued job as enqueue creates it: a fresh id, the options applied, times from `now`.
Job make_queued_job(std::string type, boost::json::value payload, const EnqueueOptions& options, std::int64_t now);

}  // namespace sluice::jobs
