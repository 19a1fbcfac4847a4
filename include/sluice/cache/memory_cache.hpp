#pragma once
// In-process cache: TTL + LRU, sharded so that IO threads rarely wait for one another.

#include "sluice/cache/cache.hpp"

#include <functional>
#include <string_view>
#include <vector>

namespace sluice::cache {

struct MemoryCacheOptions {
  std::size_t max_entries = 100'000;         // 0: no bound on the number of entries
  std::size_t max_bytes = 64 * 1024 * 1024;  // sizes of keys and values; 0: no bound
  std::size_t shards = 16;                   // independently locked; at least 1
  /// The time source for expiry; tests inject one to move time without sleeping.
  std::function<std::chrono::steady_clock::time_point()> clock = [] { return std::chrono::steady_clock::now(); };
  /// Where hits, misses and errors are reported, labelled cache=`name`; none: not reported.
  std::shared_ptr<obs::Registry> metrics;
  std::string name = "memory";
};

/// Keys are spread over `shards` shards by hash; each shard has its own mutex, LRU list and
/// share of the bounds (max / shards, rounded up), so eviction is least-recently-used within a
/// shard — an approximation of global LRU that spares a global lock. Expired entries are never
/// returned; they are dropped when found or when evicted. An entry larger than its shard's byte
/// bound is not stored. Every operation completes without suspending.
class MemoryCache final : public Cache {
 public:
  using Options = MemoryCacheOptions;
  explicit MemoryCache(Options options = {});
  ~MemoryCache() override;

  boost::asio::awaitable<std::optional<std::string>> get(std::string key) override;
  boost::asio::awaitable<void> set(std::string key, std::string value, std::chrono::milliseconds ttl) override;
  boost::asio::awaitable<void> erase(std::string key) override;

  /// The same operations, synchronous (for code that is not a coroutine).
  std::optional<std::string> lookup(std::string_view key);
  void store(std::string key, std::string value, std::chrono::milliseconds ttl);
  /// True when `key` was present (expired or not).
  bool remove(std::string_view key);

  /// Entries held, expired ones not yet dropped included.
  std::size_t size() const;
  std::size_t bytes() const;
  /// The shard `key` lives in (tests use it to reason about per-shard LRU).
  std::size_t shard_of(std::string_view key) const;

 private:
  struct Shard;
  Options options_;
  std::size_t max_entries_per_shard_;
  std::size_t max_bytes_per_shard_;
  std::vector<std::unique_ptr<Shard>> shards_;
};

}  // namespace sluice::cache
