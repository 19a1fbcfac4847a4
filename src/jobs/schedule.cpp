#include "sluice/jobs/schedule.hpp"

#include "sluice/core/json_text.hpp"
#include "sluice/jobs/cron.hpp"

#include <boost/json/parse.hpp>

namespace sluice::jobs {

namespace json = boost::json;

namespace {
std::string string_at(const json::object& o, std::string_view key) { return std::string(o.at(key).as_string()); }
}  // namespace

std::string_view to_string(Misfire misfire) { return misfire == Misfire::catch_up ? "catch_up" : "skip"; }

std::optional<std::int64_t> Schedule::next_tick(std::int64_t after_ms) const {
  if (every_ms > 0) {
    if (after_ms < created_at_ms) return created_at_ms + every_ms;
    return created_at_ms + ((after_ms - created_at_ms) / every_ms + 1) * every_ms;
  }
  // Both were validated when the schedule was made; a zone the system lost since never fires.
  auto expression = CronExpression::parse(cron);
  auto zone = TimeZone::locate(timezone);
  if (!expression || !zone) return std::nullopt;
  return next_cron_tick(*expression, *zone, after_ms);
}

NewJob Schedule::job_for(std::int64_t tick) const {
  NewJob job{.type = type, .payload = payload, .options = {}};
  job.options.idempotency_key = "schedule:" + name + ":" + std::to_string(tick);
  job.options.max_attempts = max_attempts;
  job.options.timeout = Millis(timeout_ms);
  job.options.backoff = Millis(backoff_ms);
  job.options.priority = priority;
  job.options.owner = owner;
  job.options.queue = queue;
  return job;
}

json::object Schedule::to_json() const {
  json::object out{{"name", name},
                   {"type", type},
                   {"payload", payload},
                   {"queue", queue},
                   {"misfire", to_string(misfire)},
                   {"max_attempts", max_attempts},
                   {"timeout_ms", timeout_ms},
                   {"priority", priority},
                   {"paused", is_paused},
                   {"created_at", created_at_ms}};
  if (every_ms > 0) {
    out["every_ms"] = every_ms;
  } else {
    out["cron"] = cron;
    out["timezone"] = timezone;
  }
  auto next = is_paused ? std::nullopt : next_tick(last_tick_ms);
  out["next_run_at"] = next ? json::value(*next) : json::value(nullptr);
  out["last_run_at"] = last_run_at_ms > 0 ? json::value(last_run_at_ms) : json::value(nullptr);
  out["last_job_id"] = last_job_id.empty() ? json::value(nullptr) : json::value(last_job_id);
  return out;
}

std::string Schedule::definition() const {
  return core::json_text(json::object{{"name", name},
                                      {"type", type},
                                      {"payload", payload},
                                      {"queue", queue},
                                      {"cron", cron},
                                      {"timezone", timezone},
                                      {"every_ms", every_ms},
                                      {"misfire", to_string(misfire)},
                                      {"max_attempts", max_attempts},
                                      {"timeout_ms", timeout_ms},
                                      {"backoff_ms", backoff_ms},
                                      {"priority", priority},
                                      {"owner", owner},
                                      {"created_at", created_at_ms}});
}

Schedule Schedule::from_definition(std::string_view text) {
  auto value = json::parse(text);
  const auto& o = value.as_object();
  Schedule s;
  s.name = string_at(o, "name");
  s.type = string_at(o, "type");
  s.payload = o.at("payload");
  s.queue = string_at(o, "queue");
  s.cron = string_at(o, "cron");
  s.timezone = string_at(o, "timezone");
  s.every_ms = o.at("every_ms").to_number<std::int64_t>();
  s.misfire = o.at("misfire") == "catch_up" ? Misfire::catch_up : Misfire::skip;
  s.max_attempts = o.at("max_attempts").to_number<int>();
  s.timeout_ms = o.at("timeout_ms").to_number<std::int64_t>();
  s.backoff_ms = o.at("backoff_ms").to_number<std::int64_t>();
  s.priority = o.at("priority").to_number<int>();
  s.owner = string_at(o, "owner");
  s.created_at_ms = o.at("created_at").to_number<std::int64_t>();
  return s;
}

}  // namespace sluice::jobs
