#include "sluice/jobs/job.hpp"
#include "sluice/jobs/job_store.hpp"

#include <boost/json/object.hpp>

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
  return {{"id", id},
          {"type", type},
          {"state", to_string(state)},
          {"payload", payload},
          {"priority", priority},
          {"attempts", attempts},
          {"max_attempts", max_attempts},
          {"progress", progress},
          {"progress_message", progress_message},
          {"last_error", last_error.empty() ? boost::json::value(nullptr) : boost::json::value(last_error)},
          {"result", result},
          {"cancel_requested", is_cancel_requested},
          {"idempotency_key", idempotency_key.empty() ? boost::json::value(nullptr) : boost::json::value(idempotency_key)},
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

std::vector<Job> JobStore::enqueue_batch(std::vector<NewJob> jobs) {
  std::vector<Job> out;
  out.reserve(jobs.size());
  for (auto& job : jobs) out.push_back(enqueue(std::move(job.type), std::move(job.payload), job.options));
  return out;
}

std::vector<Claim> JobStore::claim_batch(const std::string& worker, Millis lease, std::size_t max) {
  std::vector<Claim> out;
  while (out.size() < max) {
    auto claim = this->claim(worker, lease);
    if (!claim) break;
    out.push_back(std::move(*claim));
  }
  return out;
}

std::size_t JobStore::complete_batch(const std::vector<std::pair<Claim, boost::json::value>>& done) {
  std::size_t held = 0;
  for (const auto& [claim, result] : done) held += complete(claim, result) ? 1 : 0;
  return held;
}

}  // namespace sluice::jobs
