#pragma once
// Prometheus metrics: counters, gauges and histograms with labels, rendered in the text format.

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace sluice::obs {

using Labels = std::vector<std::pair<std::string, std::string>>;

class Counter {
 public:
  void inc(std::uint64_t n = 1) { value_.fetch_add(n, std::memory_order_relaxed); }
  std::uint64_t value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<std::uint64_t> value_{0};
};

class Gauge {
 public:
  void add(std::int64_t n) { value_.fetch_add(n, std::memory_order_relaxed); }
  void set(std::int64_t n) { value_.store(n, std::memory_order_relaxed); }
  std::int64_t value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<std::int64_t> value_{0};
};

class Histogram {
 public:
  explicit Histogram(std::vector<double> bounds);
  void observe(double value);
  /// Cumulative counts per bound, then +Inf; the sum; the count.
  void snapshot(std::vector<std::uint64_t>& cumulative, double& sum, std::uint64_t& count) const;
  const std::vector<double>& bounds() const { return bounds_; }

 private:
  std::vector<double> bounds_;
  std::unique_ptr<std::atomic<std::uint64_t>[]> buckets_;  // per bound, plus +Inf
  std::atomic<double> sum_{0};
  std::atomic<std::uint64_t> count_{0};
};

/// Seconds, 0.5 ms to 10 s: request and upstream latencies.
std::vector<double> latency_buckets();

/// Owns every series; lookups create them on first use. Thread-safe; a series, once created,
/// lives (at a fixed address) as long as the registry.
class Registry {
 public:
  Counter& counter(std::string_view name, std::string_view help, const Labels& labels = {});
  Gauge& gauge(std::string_view name, std::string_view help, const Labels& labels = {});
  Histogram& histogram(std::string_view name, std::string_view help, const Labels& labels = {},
                       std::vector<double> bounds = latency_buckets());
  /// The Prometheus text exposition format (version 0.0.4).
  std::string render() const;

 private:
  enum class Type { counter, gauge, histogram };
  struct Series {
    std::string labels;  // rendered: {a="b",c="d"} or empty
    std::unique_ptr<Counter> counter;
    std::unique_ptr<Gauge> gauge;
    std::unique_ptr<Histogram> histogram;
  };
  struct Family {
    std::string help;
    Type type;
    std::map<std::string, Series> series;  // by rendered labels
  };
  Series& series(std::string_view name, std::string_view help, Type type, const Labels& labels);

  mutable std::mutex mutex_;  // guards families_ (not the values: those are atomics)
  std::map<std::string, Family, std::less<>> families_;
};

/// `{a="b",c="d"}` with Prometheus escaping; empty for no labels.
std::string render_labels(const Labels& labels);

}  // namespace sluice::obs
