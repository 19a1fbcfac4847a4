#include "sluice/cache/memory_cache.hpp"

#include <functional>
#include <list>
#include <mutex>
#include <unordered_map>

namespace sluice::cache {

using Clock = std::chrono::steady_clock;

/// One independently locked part of the cache.
struct MemoryCache::Shard {
  struct Entry {
    std::string key;
    std::string value;
    Clock::time_point expires;  // time_point::max(): never
    std::size_t bytes() const { return key.size() + value.size(); }
  };

  mutable std::mutex mutex;  // guards everything below
  std::list<Entry> lru;      // most recently used first
  // Keys are views of the entries' own keys (list nodes never move), so each is stored once.
  std::unordered_map<std::string_view, std::list<Entry>::iterator> index;
  std::size_t bytes = 0;

  void drop(std::list<Entry>::iterator entry) {
    bytes -= entry->bytes();
    index.erase(entry->key);
    lru.erase(entry);
  }
};

namespace {

std::size_t share(std::size_t total, std::size_t shards) { return total == 0 ? 0 : (total + shards - 1) / shards; }

}  // namespace

MemoryCache::MemoryCache(Options options) : options_(std::move(options)) {
  if (options_.shards == 0) options_.shards = 1;
  if (!options_.clock) options_.clock = [] { return Clock::now(); };
  max_entries_per_shard_ = share(options_.max_entries, options_.shards);
  max_bytes_per_shard_ = share(options_.max_bytes, options_.shards);
  shards_.reserve(options_.shards);
  for (std::size_t i = 0; i < options_.shards; ++i) shards_.push_back(std::make_unique<Shard>());
  report_to(options_.metrics, options_.name);
}

MemoryCache::~MemoryCache() = default;

std::size_t MemoryCache::shard_of(std::string_view key) const {
  return std::hash<std::string_view>{}(key) % shards_.size();
}

std::optional<std::string> MemoryCache::lookup(std::string_view key) {
  auto& shard = *shards_[shard_of(key)];
  const auto now = options_.clock();
  std::optional<std::string> value;
  {
    std::lock_guard lock(shard.mutex);
    if (auto it = shard.index.find(key); it != shard.index.end()) {
      auto entry = it->second;
      if (entry->expires <= now) {
        shard.drop(entry);
      } else {
        shard.lru.splice(shard.lru.begin(), shard.lru, entry);
        value = entry->value;
      }
    }
  }
  if (value)
    count_hit();
  else
    count_miss();
  return value;
}

void MemoryCache::store(std::string key, std::string value, std::chrono::milliseconds ttl) {
  auto& shard = *shards_[shard_of(key)];
  const auto expires = ttl <= no_expiry ? Clock::time_point::max() : options_.clock() + ttl;
  const auto size = key.size() + value.size();
  std::lock_guard lock(shard.mutex);
  if (auto it = shard.index.find(key); it != shard.index.end()) shard.drop(it->second);
  if (max_bytes_per_shard_ != 0 && size > max_bytes_per_shard_) return;  // would evict everything, then itself

  shard.lru.push_front({std::move(key), std::move(value), expires});
  shard.index.emplace(shard.lru.front().key, shard.lru.begin());
  shard.bytes += size;
  while ((max_entries_per_shard_ != 0 && shard.lru.size() > max_entries_per_shard_) ||
         (max_bytes_per_shard_ != 0 && shard.bytes > max_bytes_per_shard_))
    shard.drop(std::prev(shard.lru.end()));
}

bool MemoryCache::remove(std::string_view key) {
  auto& shard = *shards_[shard_of(key)];
  std::lock_guard lock(shard.mutex);
  auto it = shard.index.find(key);
  if (it == shard.index.end()) return false;
  shard.drop(it->second);
  return true;
}

std::size_t MemoryCache::size() const {
  std::size_t total = 0;
  for (const auto& shard : shards_) {
    std::lock_guard lock(shard->mutex);
    total += shard->lru.size();
  }
  return total;
}

std::size_t MemoryCache::bytes() const {
  std::size_t total = 0;
  for (const auto& shard : shards_) {
    std::lock_guard lock(shard->mutex);
    total += shard->bytes;
  }
  return total;
}

// The coroutine forms never suspend: awaiting them runs the synchronous operation inline.
boost::asio::awaitable<std::optional<std::string>> MemoryCache::get(std::string key) { co_return lookup(key); }

boost::asio::awaitable<void> MemoryCache::set(std::string key, std::string value, std::chrono::milliseconds ttl) {
  store(std::move(key), std::move(value), ttl);
  co_return;
}

boost::asio::awaitable<void> MemoryCache::erase(std::string key) {
  remove(key);
  co_return;
}

}  // namespace sluice::cache
