// The in-process TTL + LRU cache, with an injected clock instead of sleeps.
#include "sluice/cache/memory_cache.hpp"

#include <gtest/gtest.h>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>

#include <map>
#include <thread>

namespace sluice::cache {
namespace {

using namespace std::chrono_literals;
namespace asio = boost::asio;

/// Time that moves only when a test says so.
struct ManualClock {
  std::chrono::steady_clock::time_point now{std::chrono::hours(1)};
  MemoryCacheOptions options(MemoryCacheOptions base = {}) {
    base.clock = [this] { return now; };
    return base;
  }
};

TEST(MemoryCache, EntriesExpireAfterTheirTtl) {
  ManualClock clock;
  MemoryCache cache(clock.options());
  cache.store("short", "1", 100ms);
  cache.store("forever", "2", no_expiry);
  EXPECT_EQ(cache.lookup("short"), "1");
  clock.now += 99ms;
  EXPECT_EQ(cache.lookup("short"), "1");
  clock.now += 1ms;
  EXPECT_EQ(cache.lookup("short"), std::nullopt);
  EXPECT_EQ(cache.size(), 1u);  // the expired entry was dropped when found
  clock.now += 24h * 365;
  EXPECT_EQ(cache.lookup("forever"), "2");
}

TEST(MemoryCache, StoringAgainReplacesValueAndTtl) {
  ManualClock clock;
  MemoryCache cache(clock.options());
  cache.store("k", "old", 10ms);
  cache.store("k", "newer", 1s);
  clock.now += 500ms;
  EXPECT_EQ(cache.lookup("k"), "newer");
  EXPECT_EQ(cache.size(), 1u);
  EXPECT_EQ(cache.bytes(), 1u + 5u);
}

TEST(MemoryCache, EvictsTheLeastRecentlyUsedEntry) {
  MemoryCache cache({.max_entries = 3, .max_bytes = 0, .shards = 1});
  cache.store("a", "1", no_expiry);
  cache.store("b", "2", no_expiry);
  cache.store("c", "3", no_expiry);
  EXPECT_EQ(cache.lookup("a"), "1");  // a is now the most recently used; b the least
  cache.store("d", "4", no_expiry);
  EXPECT_EQ(cache.lookup("b"), std::nullopt);
  EXPECT_EQ(cache.size(), 3u);
  cache.store("e", "5", no_expiry);  // c is now the least recently used
  EXPECT_EQ(cache.lookup("c"), std::nullopt);
  EXPECT_EQ(cache.lookup("a"), "1");
  EXPECT_EQ(cache.lookup("d"), "4");
  EXPECT_EQ(cache.lookup("e"), "5");
}

TEST(MemoryCache, StaysWithinItsByteBound) {
  MemoryCache cache({.max_entries = 0, .max_bytes = 10, .shards = 1});
  cache.store("a", "1234", no_expiry);  // 5 bytes: key + value
  cache.store("b", "1234", no_expiry);  // 10
  EXPECT_EQ(cache.bytes(), 10u);
  cache.store("c", "1", no_expiry);  // 12 > 10: a goes
  EXPECT_EQ(cache.lookup("a"), std::nullopt);
  EXPECT_EQ(cache.lookup("b"), "1234");
  EXPECT_EQ(cache.bytes(), 7u);
  cache.store("big", "123456789", no_expiry);  // larger than the whole bound: not stored
  EXPECT_EQ(cache.lookup("big"), std::nullopt);
  EXPECT_EQ(cache.lookup("b"), "1234");
  EXPECT_EQ(cache.lookup("c"), "1");
}

TEST(MemoryCache, LruHoldsWithinEachShard) {
  MemoryCache cache({.max_entries = 8, .max_bytes = 0, .shards = 4});  // 2 entries per shard
  std::map<std::size_t, std::vector<std::string>> by_shard;
  for (int i = 0; by_shard.size() < 4 || by_shard.begin()->second.size() < 3; ++i) {
    auto key = "key" + std::to_string(i);
    by_shard[cache.shard_of(key)].push_back(key);
  }
  const auto& mine = by_shard.begin()->second;
  const auto& other = std::next(by_shard.begin())->second;
  cache.store(other[0], "o", no_expiry);
  cache.store(mine[0], "0", no_expiry);
  cache.store(mine[1], "1", no_expiry);
  EXPECT_EQ(cache.lookup(mine[0]), "0");
  cache.store(mine[2], "2", no_expiry);  // this shard is full: its least recently used goes
  EXPECT_EQ(cache.lookup(mine[1]), std::nullopt);
  EXPECT_EQ(cache.lookup(mine[0]), "0");
  EXPECT_EQ(cache.lookup(mine[2]), "2");
  EXPECT_EQ(cache.lookup(other[0]), "o");  // other shards are not touched by it
}

TEST(MemoryCache, CountsHitsAndMisses) {
  ManualClock clock;
  MemoryCache cache(clock.options());
  cache.store("k", "v", 1s);
  cache.lookup("k");
  cache.lookup("k");
  cache.lookup("absent");
  clock.now += 1s;
  cache.lookup("k");  // expired: a miss
  EXPECT_EQ(cache.hits(), 2u);
  EXPECT_EQ(cache.misses(), 2u);
  EXPECT_EQ(cache.errors(), 0u);
}

TEST(MemoryCache, RemoveAndTheAwaitableFormsWork) {
  MemoryCache cache;
  asio::io_context io;
  std::optional<std::string> before;
  std::optional<std::string> after;
  asio::co_spawn(
      io,
      [&]() -> asio::awaitable<void> {
        co_await cache.set("k", std::string("v\0w", 3), 1min);
        before = co_await cache.get("k");
        co_await cache.erase("k");
        after = co_await cache.get("k");
      },
      asio::detached);
  io.run();
  EXPECT_EQ(before, std::string("v\0w", 3));
  EXPECT_EQ(after, std::nullopt);
  EXPECT_FALSE(cache.remove("k"));
}

TEST(MemoryCache, ThreadsSharingItKeepItConsistent) {
  MemoryCache cache({.max_entries = 64, .max_bytes = 0, .shards = 4});
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&cache, t] {
      for (int i = 0; i < 20'000; ++i) {
        auto key = std::to_string((i * 7 + t) % 200);
        if (auto value = cache.lookup(key); value && *value != key) std::abort();  // never another key's value
        cache.store(key, key, no_expiry);
        if (i % 5 == 0) cache.remove(key);
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_LE(cache.size(), 64u);
  EXPECT_EQ(cache.hits() + cache.misses(), 80'000u);
}

}  // namespace
}  // namespace sluice::cache
