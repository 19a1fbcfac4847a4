#include "sluice/jobs/job.hpp"
#include "sluice/jobs/job_store.hpp"

#include <boost/json/object.hpp>

#include <algorithm>
#include <array>
#include <random>

namespace sluice::jobs {

namespace {
constexpr std::array<std::string_view, 6> kStateNames = {"queued",    "running", "retrying",
                                                         "succeeded", "failed",  "cancelled"};
}

std::string_view to_string(JobState state) { return kStateNames[static_cast<std::size_t>(state)]; }

std::optional<JobState> parse_job_state(std::string_view text) {
  for (std::size_t i = 0; i < kStateNames.size(); ++i)
    if (kStateNames[i] == text) return static_cast<JobState>(i);
  return std::nullopt;
}

boost::json::object Job::to_json() const {
  auto time_or_null = [](std::int64_t ms) { return ms == 0 ? boost::json::value(nullptr) : boost::json::value(ms); };
  auto text_or_null = [](const std::string& text) {
    return text.empty() ? boost::json::value(nullptr) : boost::json::value(text);
  };
  return {{"id", id},
          {"type", type},
          {"queue", queue},
          {"state", to_string(state)},
          {"payload", payload},
          {"priority", priority},
          {"attempts", attempts},
          {"max_attempts", max_attempts},
          {"progress", progress},
          {"progress_message", progress_message},
          {"last_error", text_or_null(last_error)},
          {"result", result},
          {"cancel_requested", is_cancel_requested},
          {"idempotency_key", text_or_null(idempotency_key)},
          {"worker", text_or_null(worker)},
          {"created_at", created_at_ms},
          {"updated_at", updated_at_ms},
          {"run_at", run_at_ms},
          {"started_at", time_or_null(started_at_ms)},
          {"finished_at", time_or_null(finished_at_ms)}};
}

std::int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string new_job_id() {
  thread_local std::mt19937_64 random{std::random_device{}()};
  static constexpr char hex[] = "0123456789abcdef";
  std::string id(32, '0');
  for (int half = 0; half < 2; ++half) {
    auto bits = random();
    for (int i = 0; i < 16; ++i) id[static_cast<std::size_t>(half * 16 + i)] = hex[(bits >> (i * 4)) & 0xF];
  }
  return id;
}

double backoff_jitter() {
  thread_local std::mt19937 random{std::random_device{}()};
  return std::uniform_real_distribution<double>(0.5, 1.5)(random);
}

Job make_queued_job(std::string type, boost::json::value payload, const EnqueueOptions& options, std::int64_t now) {
  Job job;
  job.id = new_job_id();
  job.type = std::move(type);
  job.payload = std::move(payload);
  job.priority = options.priority;
  job.max_attempts = std::max(1, options.max_attempts);
  job.backoff_ms = options.backoff.count();
  job.timeout_ms = options.timeout.count();
  job.created_at_ms = job.updated_at_ms = now;
  job.run_at_ms = now + options.delay.count();
  job.idempotency_key = options.idempotency_key;
  job.owner = options.owner;
  job.queue = options.queue;
  return job;
}

Job JobStore::enqueue(std::string type, boost::json::value payload, const EnqueueOptions& options) {
  std::vector<NewJob> one;
  one.push_back({std::move(type), std::move(payload), options});
  return enqueue_batch(std::move(one)).front();
}

std::optional<Claim> JobStore::claim(const std::string& worker, Millis lease, const JobTypes& types,
                                     const JobQueues& queues) {
  auto claims = claim_batch(worker, lease, 1, types, queues);
  if (claims.empty()) return std::nullopt;
  return std::move(claims.front());
}

}  // namespace sluice::jobs
