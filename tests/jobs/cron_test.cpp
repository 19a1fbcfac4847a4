#include "sluice/jobs/cron.hpp"

#include <gtest/gtest.h>

#include <date/date.h>

namespace sluice::jobs {
namespace {

/// Epoch ms of a UTC calendar time.
std::int64_t utc(int y, unsigned m, unsigned d, int hh, int mm) {
  using namespace std::chrono;
  auto day = date::sys_days(date::year(y) / date::month(m) / date::day(d));
  return duration_cast<milliseconds>((day + hours(hh) + minutes(mm)).time_since_epoch()).count();
}

CronExpression cron(std::string_view text) {
  auto parsed = CronExpression::parse(text);
  EXPECT_TRUE(parsed) << text << ": " << (parsed ? "" : parsed.error().message);
  return parsed ? *parsed : *CronExpression::parse("* * * * *");
}

std::int64_t next(std::string_view text, std::int64_t after, std::string_view zone = "UTC") {
  auto tick = next_cron_tick(cron(text), *TimeZone::locate(zone), after);
  EXPECT_TRUE(tick) << text;
  return tick.value_or(-1);
}

TEST(Cron, RejectsMalformedExpressionsNamingTheField) {
  struct Case {
    const char* text;
    const char* says;
  };
  for (auto [text, says] : {Case{"* * * *", "expected 5 fields"}, Case{"60 * * * *", "minute: 60 is out of range"},
                            Case{"* 24 * * *", "hour"}, Case{"* * 0 * *", "day-of-month"},
                            Case{"* * * 13 *", "month"}, Case{"* * * * 8", "day-of-week"},
                            Case{"5-1 * * * *", "runs backwards"}, Case{"*/0 * * * *", "step"},
                            Case{"5/2 * * * *", "a step needs a range"}, Case{"1,,2 * * * *", "empty list item"},
                            Case{"a * * * *", "minute"}, Case{"* * * foo *", "month"}, Case{"@often", "expected 5"},
                            Case{"1-2-3 * * * *", "not a value or a range"}, Case{"*/2/3 * * * *", "more than one"},
                            Case{"9999 * * * *", "not a value"}, Case{"", "got 0"}}) {
    auto parsed = CronExpression::parse(text);
    ASSERT_FALSE(parsed) << text;
    EXPECT_EQ(parsed.error().status, 422u);
    EXPECT_EQ(parsed.error().code, "invalid_cron");
    EXPECT_NE(parsed.error().message.find(says), std::string::npos) << text << ": " << parsed.error().message;
  }
}

TEST(Cron, ListsRangesStepsAndNames) {
  auto c = cron("*/15 9-17/4 * jan,Mar-may MON-fri");
  for (int m : {0, 15, 30, 45}) EXPECT_TRUE(c.has_minute(m));
  EXPECT_FALSE(c.has_minute(5));
  for (int h : {9, 13, 17}) EXPECT_TRUE(c.has_hour(h));
  EXPECT_FALSE(c.has_hour(10));
  EXPECT_TRUE(c.has_day(1, 5, 1));
  EXPECT_TRUE(c.has_day(4, 5, 5));
  EXPECT_FALSE(c.has_day(2, 5, 1));  // February
  EXPECT_FALSE(c.has_day(1, 5, 0));  // Sunday
  EXPECT_FALSE(c.has_day(1, 5, 6));  // Saturday
}

TEST(Cron, SundayIsZeroOrSeven) {
  EXPECT_TRUE(cron("0 0 * * 7").has_day(1, 1, 0));
  EXPECT_TRUE(cron("0 0 * * 5-7").has_day(1, 1, 0));
  EXPECT_FALSE(cron("0 0 * * 7").has_day(1, 1, 1));
}

TEST(Cron, DayOfMonthOrDayOfWeekWhenBothRestricted) {
  auto both = cron("0 0 13 * fri");  // the 13th, and every Friday (Vixie cron's OR)
  EXPECT_TRUE(both.has_day(6, 13, 2));
  EXPECT_TRUE(both.has_day(6, 9, 5));
  EXPECT_FALSE(both.has_day(6, 10, 6));
  auto starred = cron("0 0 */2 * fri");  // a field starting with '*' is unrestricted: AND
  EXPECT_TRUE(starred.has_day(6, 3, 5));
  EXPECT_FALSE(starred.has_day(6, 2, 5));
  EXPECT_FALSE(starred.has_day(6, 3, 4));
}

TEST(Cron, MacrosExpand) {
  EXPECT_EQ(next("@hourly", utc(2024, 1, 1, 10, 30)), utc(2024, 1, 1, 11, 0));
  EXPECT_EQ(next("@daily", utc(2024, 1, 1, 10, 30)), utc(2024, 1, 2, 0, 0));
  EXPECT_EQ(next("@weekly", utc(2024, 1, 1, 10, 30)), utc(2024, 1, 7, 0, 0));  // 2024-01-07 is a Sunday
  EXPECT_EQ(next("@monthly", utc(2024, 1, 31, 10, 30)), utc(2024, 2, 1, 0, 0));
  EXPECT_EQ(next("@yearly", utc(2024, 1, 1, 0, 0)), utc(2025, 1, 1, 0, 0));
}

TEST(Cron, NextTickIsStrictlyAfter) {
  EXPECT_EQ(next("* * * * *", utc(2024, 1, 1, 10, 0)), utc(2024, 1, 1, 10, 1));
  EXPECT_EQ(next("* * * * *", utc(2024, 1, 1, 10, 0) + 30'000), utc(2024, 1, 1, 10, 1));
  EXPECT_EQ(next("*/5 * * * *", utc(2024, 1, 1, 10, 59)), utc(2024, 1, 1, 11, 0));
  EXPECT_EQ(next("0 0 29 2 *", utc(2024, 3, 1, 0, 0)), utc(2028, 2, 29, 0, 0));
  EXPECT_EQ(next("30 8 * * 1-5", utc(2024, 1, 5, 9, 0)), utc(2024, 1, 8, 8, 30));  // Friday → Monday
}

TEST(Cron, ImpossibleDatesNeverFire) {
  EXPECT_FALSE(next_cron_tick(cron("0 0 30 2 *"), TimeZone::utc(), utc(2024, 1, 1, 0, 0)));
}

TEST(Cron, LocalTimeInAZone) {
  // Paris is UTC+1 in winter, UTC+2 in summer.
  EXPECT_EQ(next("0 9 * * *", utc(2024, 1, 10, 0, 0), "Europe/Paris"), utc(2024, 1, 10, 8, 0));
  EXPECT_EQ(next("0 9 * * *", utc(2024, 7, 10, 0, 0), "Europe/Paris"), utc(2024, 7, 10, 7, 0));
  EXPECT_EQ(next("0 9 * * *", utc(2024, 7, 10, 0, 0), "America/New_York"), utc(2024, 7, 10, 13, 0));
}

TEST(Cron, SpringForwardGapFiresWhenTheGapEnds) {
  // 2024-03-31 in Paris: 02:00 CET jumps to 03:00 CEST (01:00 UTC).
  EXPECT_EQ(next("30 2 * * *", utc(2024, 3, 30, 23, 0), "Europe/Paris"), utc(2024, 3, 31, 1, 0));
  // The next day 02:30 exists again (00:30 UTC).
  EXPECT_EQ(next("30 2 * * *", utc(2024, 3, 31, 1, 0), "Europe/Paris"), utc(2024, 4, 1, 0, 30));
  // Every 30 minutes: 01:30 CET, then 02:00 and 02:30 (skipped) collapse into 03:00 CEST, then 03:30.
  auto t = next("*/30 * * * *", utc(2024, 3, 31, 0, 0), "Europe/Paris");
  EXPECT_EQ(t, utc(2024, 3, 31, 0, 30));
  t = next("*/30 * * * *", t, "Europe/Paris");
  EXPECT_EQ(t, utc(2024, 3, 31, 1, 0));
  t = next("*/30 * * * *", t, "Europe/Paris");
  EXPECT_EQ(t, utc(2024, 3, 31, 1, 30));
}

TEST(Cron, FallBackOverlapFiresOnceAtTheFirstOccurrence) {
  // 2024-10-27 in Paris: 03:00 CEST falls back to 02:00 CET; 02:30 happens at 00:30 and 01:30 UTC.
  EXPECT_EQ(next("30 2 * * *", utc(2024, 10, 26, 23, 0), "Europe/Paris"), utc(2024, 10, 27, 0, 30));
  EXPECT_EQ(next("30 2 * * *", utc(2024, 10, 27, 0, 30), "Europe/Paris"), utc(2024, 10, 28, 1, 30));
  // Hourly at :00 — 02:00 CEST (00:00 UTC), then 03:00 CET (02:00 UTC): the repeated 02:00 is not run again.
  EXPECT_EQ(next("0 * * * *", utc(2024, 10, 26, 23, 30), "Europe/Paris"), utc(2024, 10, 27, 0, 0));
  EXPECT_EQ(next("0 * * * *", utc(2024, 10, 27, 0, 0), "Europe/Paris"), utc(2024, 10, 27, 2, 0));
}

TEST(Cron, UnknownZonesAreNotFound) {
  EXPECT_FALSE(TimeZone::locate("Mars/Olympus_Mons"));
  EXPECT_FALSE(TimeZone::locate(""));
  EXPECT_FALSE(TimeZone::locate("../../etc/passwd"));
  ASSERT_TRUE(TimeZone::locate("Europe/Paris"));
  EXPECT_EQ(TimeZone::locate("Europe/Paris")->name(), "Europe/Paris");
}

}  // namespace
}  // namespace sluice::jobs
