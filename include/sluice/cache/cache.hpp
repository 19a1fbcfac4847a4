#pragma once
// The cache interface every backend implements (memory, Redis), with the counters that the
// server exports as sluice_cache_hits_total / sluice_cache_misses_total.

#include "sluice/obs/metrics.hpp"

#include <boost/asio/awaitable.hpp>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

namespace sluice::cache {

/// A `ttl` that never expires the entry.
inline constexpr std::chrono::milliseconds no_expiry{0};

/// A string → string (binary-safe) cache with per-entry time to live. Caching is an
/// optimisation: backends never fail a call. A backend that cannot answer reports a miss (and
/// counts an error); a write it cannot make is dropped (and counted).
/// Thread-safe: every backend may be used from every IO thread at once.
class Cache {
 public:
  Cache();
  virtual ~Cache();
  Cache(const Cache&) = delete;
  Cache& operator=(const Cache&) = delete;

  /// The value stored under `key`, or nothing when it is absent, expired or unreachable.
  virtual boost::asio::awaitable<std::optional<std::string>> get(std::string key) = 0;
  /// Stores `value` under `key` for `ttl` (`no_expiry`: until evicted or erased).
  virtual boost::asio::awaitable<void> set(std::string key, std::string value, std::chrono::milliseconds ttl) = 0;
  virtual boost::asio::awaitable<void> erase(std::string key) = 0;

  /// Counters since construction (monotonic, so they export as Prometheus counters).
  std::uint64_t hits() const { return hits_.load(std::memory_order_relaxed); }
  std::uint64_t misses() const { return misses_.load(std::memory_order_relaxed); }
  /// Backend failures (each failed get also counts as a miss).
  std::uint64_t errors() const { return errors_.load(std::memory_order_relaxed); }

  struct Flights;  // detail: calls of cached() in progress (single-flight), see cached.hpp

 protected:
  /// Reports hits, misses and errors as sluice_cache_{hits,misses,errors}_total{cache=`name`};
  /// backends call it when their options name a registry.
  void report_to(const std::shared_ptr<obs::Registry>& registry, std::string name);
  void count_hit() { hits_.fetch_add(1, std::memory_order_relaxed); }
  void count_miss() { misses_.fetch_add(1, std::memory_order_relaxed); }
  void count_error() { errors_.fetch_add(1, std::memory_order_relaxed); }

 private:
  friend Flights& flights_of(Cache& cache);
  std::atomic<std::uint64_t> hits_{0};
  std::atomic<std::uint64_t> misses_{0};
  std::atomic<std::uint64_t> errors_{0};
  std::unique_ptr<Flights> flights_;
  obs::Collection metrics_;  // last: unregistered before the counters go away
};

}  // namespace sluice::cache
