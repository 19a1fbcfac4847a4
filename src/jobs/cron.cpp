// Cron expressions: parsing (Vixie cron's syntax) and the next tick in a time zone. Zones come
// from the system's tzdata through Howard Hinnant's date library (GCC 12's <chrono> has no
// time-zone database); it stays private to this file.
#include "sluice/jobs/cron.hpp"

#include <date/tz.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <vector>

namespace sluice::jobs {

struct TimeZone::Zone {
  const date::time_zone* zone;
};

namespace {

constexpr std::array<std::string_view, 12> kMonthNames{"jan", "feb", "mar", "apr", "may", "jun",
                                                       "jul", "aug", "sep", "oct", "nov", "dec"};
constexpr std::array<std::string_view, 7> kWeekdayNames{"sun", "mon", "tue", "wed", "thu", "fri", "sat"};

struct FieldSpec {
  std::string_view name;
  int low;
  int high;
  const std::string_view* names = nullptr;  // names[i] stands for low + i
  std::size_t name_count = 0;
};

constexpr FieldSpec kMinute{"minute", 0, 59};
constexpr FieldSpec kHour{"hour", 0, 23};
constexpr FieldSpec kDayOfMonth{"day-of-month", 1, 31};
constexpr FieldSpec kMonth{"month", 1, 12, kMonthNames.data(), kMonthNames.size()};
constexpr FieldSpec kWeekday{"day-of-week", 0, 7, kWeekdayNames.data(), kWeekdayNames.size()};

core::Error invalid(std::string message) { return {422, "invalid_cron", std::move(message), nullptr}; }

std::vector<std::string_view> split(std::string_view text, char separator) {
  std::vector<std::string_view> parts;
  std::size_t start = 0;
  for (std::size_t i = 0; i <= text.size(); ++i)
    if (i == text.size() || text[i] == separator) {
      parts.push_back(text.substr(start, i - start));
      start = i + 1;
    }
  return parts;
}

std::vector<std::string_view> words(std::string_view text) {
  std::vector<std::string_view> out;
  std::size_t i = 0;
  while (i < text.size()) {
    while (i < text.size() && std::isspace(static_cast<unsigned char>(text[i]))) ++i;
    std::size_t start = i;
    while (i < text.size() && !std::isspace(static_cast<unsigned char>(text[i]))) ++i;
    if (i > start) out.push_back(text.substr(start, i - start));
  }
  return out;
}

/// A number (at most three digits: nothing in cron is larger) or, where the field has them, a
/// three-letter name; none when it is neither.
std::optional<int> value_of(std::string_view text, const FieldSpec& spec) {
  if (!text.empty() && text.size() <= 3 && std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    int value = 0;
    for (char c : text) value = value * 10 + (c - '0');
    return value;
  }
  for (std::size_t i = 0; i < spec.name_count; ++i) {
    const auto name = spec.names[i];
    if (text.size() == name.size() && std::equal(text.begin(), text.end(), name.begin(), [](char a, char b) {
          return std::tolower(static_cast<unsigned char>(a)) == b;
        }))
      return spec.low + static_cast<int>(i);
  }
  return std::nullopt;
}

/// One field into `bits` (bit n: value n is named); an error message when it is malformed.
std::optional<std::string> parse_field(std::string_view text, const FieldSpec& spec, std::uint64_t& bits) {
  const std::string field(spec.name);
  for (auto item : split(text, ',')) {
    if (item.empty()) return field + ": empty list item in '" + std::string(text) + "'";
    auto parts = split(item, '/');
    if (parts.size() > 2) return field + ": more than one '/' in '" + std::string(item) + "'";
    int low = spec.low, high = spec.high, step = 1;
    const auto range = parts[0];
    if (range != "*") {
      auto bounds = split(range, '-');
      if (bounds.size() > 2) return field + ": '" + std::string(range) + "' is not a value or a range";
      auto first = value_of(bounds[0], spec);
      auto last = bounds.size() == 2 ? value_of(bounds[1], spec) : first;
      if (!first || !last) return field + ": '" + std::string(range) + "' is not a value or a range";
      low = *first;
      high = *last;
      for (int value : {low, high})
        if (value < spec.low || value > spec.high)
          return field + ": " + std::to_string(value) + " is out of range " + std::to_string(spec.low) + "-" +
                 std::to_string(spec.high);
      if (low > high) return field + ": range '" + std::string(range) + "' runs backwards";
      if (parts.size() == 2 && bounds.size() == 1) return field + ": a step needs a range or '*' before it";
    }
    if (parts.size() == 2) {
      auto value = value_of(parts[1], FieldSpec{spec.name, 0, 0});
      if (!value || *value < 1 || *value > spec.high)
        return field + ": step '" + std::string(parts[1]) + "' must be a number from 1 to " + std::to_string(spec.high);
      step = *value;
    }
    for (int value = low; value <= high; value += step) bits |= std::uint64_t{1} << value;
  }
  return std::nullopt;
}

std::string_view expand_macro(std::string_view text) {
  if (text == "@hourly") return "0 * * * *";
  if (text == "@daily" || text == "@midnight") return "0 0 * * *";
  if (text == "@weekly") return "0 0 * * 0";
  if (text == "@monthly") return "0 0 1 * *";
  if (text == "@yearly" || text == "@annually") return "0 0 1 1 *";
  return text;
}

template <std::size_t N>
std::bitset<N> low_bits(std::uint64_t bits) {
  return std::bitset<N>(bits & ((std::uint64_t{1} << N) - 1));
}

/// The instant a local time stands for, by the rule next_cron_tick states.
date::sys_seconds resolve(const date::time_zone& zone, date::local_seconds local) {
  auto info = zone.get_info(local);
  switch (info.result) {
    case date::local_info::nonexistent:
      return info.second.begin;  // the end of the gap
    case date::local_info::ambiguous:
    case date::local_info::unique:
      break;
  }
  return date::sys_seconds(local.time_since_epoch() - info.first.offset);  // ambiguous: the first
}

}  // namespace

core::Result<CronExpression> CronExpression::parse(std::string_view text) {
  auto fields = words(expand_macro(words(text).size() == 1 ? words(text)[0] : text));
  if (fields.size() != 5)
    return invalid("expected 5 fields (minute hour day-of-month month day-of-week), got " +
                   std::to_string(fields.size()));
  const FieldSpec* specs[] = {&kMinute, &kHour, &kDayOfMonth, &kMonth, &kWeekday};
  std::uint64_t bits[5] = {};
  for (int i = 0; i < 5; ++i)
    if (auto error = parse_field(fields[i], *specs[i], bits[i])) return invalid(*error);
  CronExpression cron;
  cron.minutes_ = low_bits<60>(bits[0]);
  cron.hours_ = low_bits<24>(bits[1]);
  cron.days_of_month_ = low_bits<32>(bits[2]);
  cron.months_ = low_bits<13>(bits[3]);
  cron.weekdays_ = low_bits<7>(bits[4] | (bits[4] >> 7));  // 7 is Sunday too
  cron.is_day_of_month_star_ = fields[2].front() == '*';
  cron.is_weekday_star_ = fields[4].front() == '*';
  return cron;
}

bool CronExpression::has_day(int month, int day_of_month, int weekday) const {
  if (!months_[month]) return false;
  const bool by_date = days_of_month_[day_of_month];
  const bool by_weekday = weekdays_[weekday];
  if (is_day_of_month_star_ || is_weekday_star_) return by_date && by_weekday;
  return by_date || by_weekday;
}

std::optional<TimeZone> TimeZone::locate(std::string_view name) {
  if (name.empty() || name.size() > 100) return std::nullopt;
  try {
    const auto* zone = date::locate_zone(name);
    return TimeZone(std::string(name), std::make_shared<const Zone>(Zone{zone}));
  } catch (const std::exception&) {  // the date library's only way of saying "unknown"
    return std::nullopt;
  }
}

TimeZone TimeZone::utc() {
  static const TimeZone zone = *locate("UTC");
  return zone;
}

std::optional<std::int64_t> next_cron_tick(const CronExpression& cron, const TimeZone& zone, std::int64_t after_ms) {
  using namespace std::chrono;
  const auto& tz = *zone.zone_->zone;
  const date::sys_time<milliseconds> after{milliseconds(after_ms)};
  const auto start = floor<minutes>(tz.to_local(after)) + minutes(1);
  const auto first_day = floor<date::days>(start);
  const auto first_minute = duration_cast<minutes>(start - first_day).count();
  constexpr int kSearchDays = 28 * 366;  // the calendar repeats every 28 years (within a century)
  for (int d = 0; d < kSearchDays; ++d) {
    const auto day = first_day + date::days(d);
    const date::year_month_day date{day};
    const date::weekday weekday{day};
    if (!cron.has_day(static_cast<int>(static_cast<unsigned>(date.month())),
                      static_cast<int>(static_cast<unsigned>(date.day())), static_cast<int>(weekday.c_encoding())))
      continue;
    for (int minute_of_day = d == 0 ? static_cast<int>(first_minute) : 0; minute_of_day < 24 * 60; ++minute_of_day) {
      if (!cron.has_hour(minute_of_day / 60)) {
        minute_of_day = (minute_of_day / 60) * 60 + 59;  // the rest of this hour
        continue;
      }
      if (!cron.has_minute(minute_of_day % 60)) continue;
      const auto local = date::local_seconds(day.time_since_epoch() + minutes(minute_of_day));
      const auto instant = resolve(tz, local);
      if (instant > after) return duration_cast<milliseconds>(instant.time_since_epoch()).count();
    }
  }
  return std::nullopt;
}

}  // namespace sluice::jobs
