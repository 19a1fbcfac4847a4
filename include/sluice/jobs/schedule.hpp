#pragma once
// Schedules: a job enqueued on every tick of a cron expression (in a time zone) or of a fixed
// interval. Every node runs a Scheduler; a tick fires exactly once across all of them because
// firing is a claim in the store (ScheduleStore::fire), not the choice of a leader.

#include "sluice/jobs/job_store.hpp"

#include <boost/json/object.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace sluice::jobs {

/// What a schedule does about ticks that passed while no node ran it (all down, or paused ticks
/// are not misfires: resuming starts from now).
enum class Misfire {
  skip,      // fire the latest missed tick once, drop the older ones
  catch_up,  // fire every missed tick, at most kMaxCatchUp of them (the latest)
};
inline constexpr int kMaxCatchUp = 100;

struct Schedule {
  std::string name;
  std::string type;  // the job type each tick enqueues
  boost::json::value payload = boost::json::object();
  std::string queue = "default";
  std::string cron;               // 5-field cron; empty: every_ms
  std::string timezone = "UTC";   // IANA name the cron fields are read in
  std::int64_t every_ms = 0;      // fixed interval from created_at_ms; 0: cron
  Misfire misfire = Misfire::skip;
  int max_attempts = 3;
  std::int64_t timeout_ms = 300'000;
  std::int64_t backoff_ms = 1000;
  int priority = 0;
  std::string owner;  // the jobs' owner, and who may see the schedule
  std::int64_t created_at_ms = 0;
  // State the store keeps:
  bool is_paused = false;
  std::int64_t last_tick_ms = 0;     // the latest tick claimed (its scheduled time); ticks after it are due
  std::int64_t last_run_at_ms = 0;   // when that tick was fired; 0: never
  std::string last_job_id;

  /// The tick after `after_ms` (epoch ms); none when the cron never matches again.
  std::optional<std::int64_t> next_tick(std::int64_t after_ms) const;
  /// The job tick `tick` enqueues: idempotency key "schedule:<name>:<tick>".
  NewJob job_for(std::int64_t tick) const;
  /// For the routes: with next_run_at (null while paused) and last_run_at as epoch ms.
  boost::json::object to_json() const;
  /// The definition (not the state) as one JSON text, as the stores keep it.
  std::string definition() const;
  /// A schedule from definition(); its state fields at their defaults.
  static Schedule from_definition(std::string_view text);
};

std::string_view to_string(Misfire misfire);

/// Where schedules live: beside the jobs they enqueue, in the same store.
class ScheduleStore {
 public:
  virtual ~ScheduleStore() = default;
  /// Stores a new schedule (its last tick: its creation time); false when the name is taken.
  virtual bool create(const Schedule& schedule) = 0;
  virtual std::optional<Schedule> get(const std::string& name) = 0;
  /// By name.
  virtual std::vector<Schedule> list() = 0;
  /// Pauses or resumes; resuming moves the last tick to `now_ms`, so the paused time is not
  /// caught up. False when there is no such schedule.
  virtual bool set_paused(const std::string& name, bool is_paused, std::int64_t now_ms) = 0;
  virtual bool remove(const std::string& name) = 0;
  /// Claims tick `tick` of `name` and enqueues `job`, atomically: only while the schedule exists,
  /// is not paused and its last tick is before `tick`. Returns the job's id, or none when the tick
  /// was not this caller's (another node fired it, or a later one).
  virtual std::optional<std::string> fire(const std::string& name, std::int64_t tick, NewJob job) = 0;
};

}  // namespace sluice::jobs
