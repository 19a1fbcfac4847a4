#pragma once
// Cron expressions for schedules: the five fields of Vixie cron (minute hour day-of-month month
// day-of-week) with `*`, lists, ranges, steps and names, evaluated in an IANA time zone.

#include "sluice/core/error.hpp"

#include <bitset>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace sluice::jobs {

/// The minutes a cron expression names, without a time zone.
class CronExpression {
 public:
  /// "*/15 9-17 * * mon-fri", "0 0 1,15 * *", or @hourly @daily @midnight @weekly @monthly
  /// @yearly @annually. A bad one: 422 `invalid_cron` whose message names the field and why.
  static core::Result<CronExpression> parse(std::string_view text);

  bool has_minute(int minute) const { return minutes_[minute]; }
  bool has_hour(int hour) const { return hours_[hour]; }
  /// Vixie cron's rule: when both day fields are restricted (neither starts with `*`), a day
  /// matches either; otherwise it must match both. `weekday` 0 is Sunday.
  bool has_day(int month, int day_of_month, int weekday) const;

 private:
  std::bitset<60> minutes_;
  std::bitset<24> hours_;
  std::bitset<32> days_of_month_;  // 1..31
  std::bitset<13> months_;         // 1..12
  std::bitset<7> weekdays_;        // 0 (Sunday)..6; 7 is read as 0
  bool is_day_of_month_star_ = false;
  bool is_weekday_star_ = false;
};

/// An IANA time zone from the system's tzdata ("Europe/Paris", "UTC").
class TimeZone {
 public:
  /// None when the system does not know the name.
  static std::optional<TimeZone> locate(std::string_view name);
  static TimeZone utc();
  const std::string& name() const { return name_; }

  struct Zone;  // the tz database entry; defined where it is used

 private:
  TimeZone(std::string name, std::shared_ptr<const Zone> zone) : name_(std::move(name)), zone_(std::move(zone)) {}
  friend std::optional<std::int64_t> next_cron_tick(const CronExpression&, const TimeZone&, std::int64_t);
  std::string name_;
  std::shared_ptr<const Zone> zone_;
};

/// The first instant (epoch ms, on a whole minute) strictly after `after_ms` whose local time in
/// `zone` the expression names; none within 28 years (e.g. "0 0 30 2 *"). Time-zone changes are
/// deterministic: a local time skipped by a DST gap fires at the instant the gap ends (02:30 on
/// the spring-forward day runs at 03:00); a local time that occurs twice fires once, at its first
/// occurrence.
std::optional<std::int64_t> next_cron_tick(const CronExpression& cron, const TimeZone& zone, std::int64_t after_ms);

}  // namespace sluice::jobs
