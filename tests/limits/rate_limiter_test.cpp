#include "sluice/limits/rate_limiter.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>
#include <vector>

namespace sluice::limits {
namespace {

using namespace std::chrono_literals;
using Clock = RateLimiter::Clock;

TEST(RateLimit, ParsesCommonForms) {
  auto a = RateLimit::parse("10/minute");
  EXPECT_EQ(a.limit, 10u);
  EXPECT_EQ(a.period, std::chrono::minutes(1));
  EXPECT_EQ(RateLimit::parse("100/second").period, std::chrono::seconds(1));
  EXPECT_EQ(RateLimit::parse("5 per hour").period, std::chrono::hours(1));
  EXPECT_EQ(RateLimit::parse("2/day").limit, 2u);
  for (auto bad : {"", "ten/minute", "10/fortnight", "0/minute", "10", "-1/second", "10x/minute"})
    EXPECT_THROW(RateLimit::parse(bad), std::invalid_argument) << bad;
}

TEST(RateLimiter, AllowsExactlyTheLimitThenRejects) {
  RateLimiter limiter(RateLimit::per_minute(10));
  auto now = Clock::now();
  for (std::size_t i = 0; i < 10; ++i) {
    auto d = limiter.acquire("1.2.3.4", now);
    ASSERT_TRUE(d.is_allowed) << i;
    EXPECT_EQ(d.remaining, 9 - i);
  }
  auto eleventh = limiter.acquire("1.2.3.4", now);
  EXPECT_FALSE(eleventh.is_allowed);
  EXPECT_EQ(eleventh.remaining, 0u);
  EXPECT_EQ(eleventh.retry_after, 6s);  // one emission interval: 60 s / 10
  EXPECT_EQ(eleventh.reset_after, 60s);
}

TEST(RateLimiter, KeysAreIndependent) {
  RateLimiter limiter(RateLimit::per_second(1));
  auto now = Clock::now();
  EXPECT_TRUE(limiter.acquire("a", now).is_allowed);
  EXPECT_FALSE(limiter.acquire("a", now).is_allowed);
  EXPECT_TRUE(limiter.acquire("b", now).is_allowed);
}

TEST(RateLimiter, CapacityReturnsOneIntervalAtATime) {
  RateLimiter limiter(RateLimit::per_minute(10));
  auto now = Clock::now();
  for (int i = 0; i < 10; ++i) limiter.acquire("k", now);
  EXPECT_FALSE(limiter.acquire("k", now + 5s).is_allowed);
  EXPECT_TRUE(limiter.acquire("k", now + 6s).is_allowed);
  EXPECT_FALSE(limiter.acquire("k", now + 6s).is_allowed);
  auto later = limiter.acquire("k", now + 10min);
  EXPECT_TRUE(later.is_allowed);
  EXPECT_EQ(later.remaining, 9u);
}

TEST(RateLimiter, MemoryStaysBounded) {
  RateLimiter limiter(RateLimit::per_minute(10), /*max_keys=*/64, /*shards=*/4);
  auto now = Clock::now();
  for (int i = 0; i < 10'000; ++i) limiter.acquire("client-" + std::to_string(i), now);
  EXPECT_LE(limiter.tracked_keys(), 64u);
  EXPECT_GT(limiter.tracked_keys(), 0u);
}

TEST(RateLimiter, ExactUnderConcurrency) {
  RateLimiter limiter(RateLimit::per_hour(1000));
  std::atomic<int> allowed{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t)
    threads.emplace_back([&] {
      for (int i = 0; i < 500; ++i)
        if (limiter.acquire("shared").is_allowed) ++allowed;
    });
  for (auto& t : threads) t.join();
  EXPECT_EQ(allowed.load(), 1000);
}

TEST(RateLimit, ParsesSeveralLimitsAndMultiples) {
  auto limits = RateLimit::parse_all("100/second; 2000/hour");
  ASSERT_EQ(limits.size(), 2u);
  EXPECT_EQ(limits[0].limit, 100u);
  EXPECT_EQ(limits[1].period, std::chrono::hours(1));
  EXPECT_EQ(RateLimit::parse("5/30 seconds").period, std::chrono::seconds(30));
  for (auto bad : {"10/minute;", ";", "10/minute;;5/hour", "5/0 seconds"})
    EXPECT_THROW(RateLimit::parse_all(bad), std::invalid_argument) << bad;
}

TEST(RateLimiter, EveryLimitMustAllowAndRefusalsCountAgainstNone) {
  // 3 per second and 5 per minute: the burst allows 3, then only the minute budget's 2 more.
  RateLimiter limiter(RateLimit::parse_all("3/second;5/minute"));
  auto now = Clock::now();
  int allowed = 0;
  for (int i = 0; i < 10; ++i) allowed += limiter.acquire("k", now).is_allowed;
  EXPECT_EQ(allowed, 3);
  auto refused = limiter.acquire("k", now);
  EXPECT_EQ(refused.limit_index, 0u);  // the per-second limit
  EXPECT_EQ(refused.limit, 3u);
  // A second later the per-second budget is back, but the minute has 2 left: refusals above
  // did not use any of it.
  allowed = 0;
  for (int i = 0; i < 10; ++i) allowed += limiter.acquire("k", now + 1s).is_allowed;
  EXPECT_EQ(allowed, 2);
  auto minute_refusal = limiter.acquire("k", now + 2s);
  EXPECT_FALSE(minute_refusal.is_allowed);
  EXPECT_EQ(minute_refusal.limit_index, 1u);
  EXPECT_EQ(minute_refusal.limit, 5u);
  EXPECT_GT(minute_refusal.retry_after, 5s);  // one 12 s interval of the minute limit, less elapsed time
}

TEST(RateLimiter, ReportsTheLimitClosestToExhaustion) {
  RateLimiter limiter(RateLimit::parse_all("10/second;12/minute"));
  auto now = Clock::now();
  for (int i = 0; i < 9; ++i) limiter.acquire("k", now);
  auto tenth = limiter.acquire("k", now);
  ASSERT_TRUE(tenth.is_allowed);
  EXPECT_EQ(tenth.limit, 10u);
  EXPECT_EQ(tenth.remaining, 0u);
  auto eleventh = limiter.acquire("k", now + 1s);
  ASSERT_TRUE(eleventh.is_allowed);
  EXPECT_EQ(eleventh.limit, 12u);
  EXPECT_EQ(eleventh.remaining, 1u);
}

}  // namespace
}  // namespace sluice::limits
