#pragma once
// Prometheus metrics: counters, gauges and histograms with labels, and collectors that report
// a component's figures at scrape time; rendered in the text format. Nothing outside `obs`
// writes Prometheus text: a component with figures registers them here.
//
//   // live values the component already keeps (atomics, a mutex-guarded count):
//   collection_ = registry.add_collector([this](obs::Scrape& out) {
//     out.gauge("sluice_admission_in_flight", "Requests running in a route's admission gate.",
//               in_flight(), {{"route", route_}});
//   });
//   // events counted as they happen:
//   registry.counter("sluice_ai_batches_total", "Embedding batches run", {{"model", name}}).inc();

#include <boost/asio/awaitable.hpp>

#include <atomic>
#include <cstdint>
#include <functional>
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

/// What collectors write at scrape time. Several collectors may write one family (each
/// admission gate its own `route`); samples with the same name and labels are summed, so two
/// limiters counting into one series add up. A sample whose family was written with another
/// type is dropped.
class Scrape {
 public:
  void counter(std::string_view name, std::string_view help, double value, const Labels& labels = {});
  void gauge(std::string_view name, std::string_view help, double value, const Labels& labels = {});

 private:
  friend class Registry;
  struct Family {
    std::string help;
    bool is_counter;
    std::map<std::string, double> samples;  // by rendered labels
  };
  void add(std::string_view name, std::string_view help, bool is_counter, double value, const Labels& labels);
  std::map<std::string, Family, std::less<>> families_;
};

/// Reports figures a component keeps anyway, at every scrape. Called from any thread (the
/// thread serving /metrics); must be thread-safe and quick.
using Collector = std::function<void(Scrape&)>;
/// A collector that must wait for its figures (a store query): awaited by Registry::scrape()
/// on the scraping IO thread, so it must not block. It must keep what it reads alive itself
/// (capture a shared_ptr), because it may still be running when its Collection is destroyed.
using AsyncCollector = std::function<boost::asio::awaitable<void>(Scrape&)>;

/// Keeps a collector registered: destroying (or reset()) it unregisters the collector, and once
/// that returns, the collector is not running and will not run again. May outlive the registry.
class Collection {
 public:
  Collection() = default;
  Collection(Collection&&) noexcept = default;
  Collection& operator=(Collection&& other) noexcept;
  ~Collection() { reset(); }
  void reset();
  bool is_active() const { return entry_ != nullptr; }

 private:
  friend class Registry;
  struct Entry;
  explicit Collection(std::shared_ptr<Entry> entry) : entry_(std::move(entry)) {}
  std::shared_ptr<Entry> entry_;
};

/// Owns every series; lookups create them on first use. Thread-safe; a series, once created,
/// lives (at a fixed address) as long as the registry.
class Registry {
 public:
  Registry();
  ~Registry();
  Registry(const Registry&) = delete;
  Registry& operator=(const Registry&) = delete;

  Counter& counter(std::string_view name, std::string_view help, const Labels& labels = {});
  Gauge& gauge(std::string_view name, std::string_view help, const Labels& labels = {});
  Histogram& histogram(std::string_view name, std::string_view help, const Labels& labels = {},
                       std::vector<double> bounds = latency_buckets());
  /// Registers `collect`, called at every scrape until the returned Collection goes away.
  [[nodiscard]] Collection add_collector(Collector collect);
  [[nodiscard]] Collection add_async_collector(AsyncCollector collect);

  /// The Prometheus text exposition format (version 0.0.4): every series and every collector.
  boost::asio::awaitable<std::string> scrape() const;
  /// The same without the async collectors (for code that cannot await).
  std::string render() const;

  struct Collectors;  // detail: the registered collectors, shared with their Collections

 private:
  friend class Collection;
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
  /// Renders the stored series merged with what collectors wrote.
  std::string render_with(const Scrape& collected) const;
  void collect_sync(Scrape& out) const;
  std::vector<std::shared_ptr<Collection::Entry>> async_entries() const;

  std::shared_ptr<Collectors> collectors_;  // shared with Collections, which may outlive us

  mutable std::mutex mutex_;  // guards families_ (not the values: those are atomics)
  std::map<std::string, Family, std::less<>> families_;
};

/// `{a="b",c="d"}` with Prometheus escaping; empty for no labels.
std::string render_labels(const Labels& labels);

}  // namespace sluice::obs
