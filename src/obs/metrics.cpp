#include "sluice/obs/metrics.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string_view>

#include <boost/asio/co_spawn.hpp>
#include <fmt/format.h>

namespace sluice::obs {

Histogram::Histogram(std::vector<double> bounds)
    : bounds_(std::move(bounds)), buckets_(new std::atomic<std::uint64_t>[bounds_.size() + 1]) {
  std::sort(bounds_.begin(), bounds_.end());
  for (std::size_t i = 0; i <= bounds_.size(); ++i) buckets_[i] = 0;
}

void Histogram::observe(double value) {
  auto bucket = static_cast<std::size_t>(std::lower_bound(bounds_.begin(), bounds_.end(), value) - bounds_.begin());
  buckets_[bucket].fetch_add(1, std::memory_order_relaxed);
  sum_.fetch_add(value, std::memory_order_relaxed);
  count_.fetch_add(1, std::memory_order_relaxed);
}

void Histogram::snapshot(std::vector<std::uint64_t>& cumulative, double& sum, std::uint64_t& count) const {
  cumulative.assign(bounds_.size() + 1, 0);
  std::uint64_t running = 0;
  for (std::size_t i = 0; i <= bounds_.size(); ++i) {
    running += buckets_[i].load(std::memory_order_relaxed);
    cumulative[i] = running;
  }
  sum = sum_.load(std::memory_order_relaxed);
  count = running;  // consistent with the buckets (count_ may run ahead while observing)
}

std::vector<double> latency_buckets() {
  return {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};
}

std::string render_labels(const Labels& labels) {
  if (labels.empty()) return {};
  std::string out = "{";
  for (const auto& [name, value] : labels) {
    if (out.size() > 1) out += ',';
    out += name;
    out += "=\"";
    for (char c : value) {
      if (c == '\\') out += "\\\\";
      else if (c == '"') out += "\\\"";
      else if (c == '\n') out += "\\n";
      else out += c;
    }
    out += '"';
  }
  out += '}';
  return out;
}

Registry::Series& Registry::series(std::string_view name, std::string_view help, Type type, const Labels& labels) {
  std::lock_guard lock(mutex_);
  auto family = families_.find(name);
  if (family == families_.end()) family = families_.emplace(std::string(name), Family{std::string(help), type, {}}).first;
  if (family->second.type != type) throw std::logic_error(fmt::format("metric {} registered with another type", name));
  auto key = render_labels(labels);
  auto [it, is_new] = family->second.series.try_emplace(key);
  if (is_new) it->second.labels = key;
  return it->second;
}

Counter& Registry::counter(std::string_view name, std::string_view help, const Labels& labels) {
  auto& s = series(name, help, Type::counter, labels);
  std::lock_guard lock(mutex_);
  if (!s.counter) s.counter = std::make_unique<Counter>();
  return *s.counter;
}

Gauge& Registry::gauge(std::string_view name, std::string_view help, const Labels& labels) {
  auto& s = series(name, help, Type::gauge, labels);
  std::lock_guard lock(mutex_);
  if (!s.gauge) s.gauge = std::make_unique<Gauge>();
  return *s.gauge;
}

Histogram& Registry::histogram(std::string_view name, std::string_view help, const Labels& labels,
                               std::vector<double> bounds) {
  auto& s = series(name, help, Type::histogram, labels);
  std::lock_guard lock(mutex_);
  if (!s.histogram) s.histogram = std::make_unique<Histogram>(std::move(bounds));
  return *s.histogram;
}

// Collections ----------------------------------------------------------------------------

struct Collection::Entry {
  std::mutex mutex;  // held while the sync collector runs, so reset() waits for it
  Collector sync;
  std::shared_ptr<AsyncCollector> async;  // shared: a scrape keeps it while awaiting it
  bool is_active = true;
  std::weak_ptr<Registry::Collectors> owner;
};

struct Registry::Collectors {
  std::mutex mutex;  // guards entries
  std::vector<std::shared_ptr<Collection::Entry>> entries;
};

Collection& Collection::operator=(Collection&& other) noexcept {
  if (this != &other) {
    reset();
    entry_ = std::move(other.entry_);
  }
  return *this;
}

void Collection::reset() {
  if (!entry_) return;
  {
    std::lock_guard lock(entry_->mutex);
    entry_->is_active = false;
    entry_->sync = nullptr;
    entry_->async = nullptr;
  }
  if (auto owner = entry_->owner.lock()) {
    std::lock_guard lock(owner->mutex);
    std::erase(owner->entries, entry_);
  }
  entry_.reset();
}

Registry::Registry() : collectors_(std::make_shared<Collectors>()) {}
Registry::~Registry() = default;

Collection Registry::add_collector(Collector collect) {
  auto entry = std::make_shared<Collection::Entry>();
  entry->sync = std::move(collect);
  entry->owner = collectors_;
  std::lock_guard lock(collectors_->mutex);
  collectors_->entries.push_back(entry);
  return Collection(std::move(entry));
}

Collection Registry::add_async_collector(AsyncCollector collect) {
  auto entry = std::make_shared<Collection::Entry>();
  entry->async = std::make_shared<AsyncCollector>(std::move(collect));
  entry->owner = collectors_;
  std::lock_guard lock(collectors_->mutex);
  collectors_->entries.push_back(entry);
  return Collection(std::move(entry));
}

void Registry::collect_sync(Scrape& out) const {
  std::vector<std::shared_ptr<Collection::Entry>> entries;
  {
    std::lock_guard lock(collectors_->mutex);
    entries = collectors_->entries;
  }
  for (const auto& entry : entries) {
    std::lock_guard lock(entry->mutex);
    if (entry->is_active && entry->sync) entry->sync(out);
  }
}

std::vector<std::shared_ptr<Collection::Entry>> Registry::async_entries() const {
  std::lock_guard lock(collectors_->mutex);
  std::vector<std::shared_ptr<Collection::Entry>> out;
  for (const auto& entry : collectors_->entries)
    if (entry->async) out.push_back(entry);
  return out;
}

void Scrape::counter(std::string_view name, std::string_view help, double value, const Labels& labels) {
  add(name, help, true, value, labels);
}

void Scrape::gauge(std::string_view name, std::string_view help, double value, const Labels& labels) {
  add(name, help, false, value, labels);
}

void Scrape::add(std::string_view name, std::string_view help, bool is_counter, double value, const Labels& labels) {
  auto family = families_.find(name);
  if (family == families_.end())
    family = families_.emplace(std::string(name), Family{std::string(help), is_counter, {}}).first;
  if (family->second.is_counter != is_counter) return;  // the first writer decided the type
  family->second.samples[render_labels(labels)] += value;
}

// Rendering ------------------------------------------------------------------------------

namespace {
/// Inserts `le` into rendered labels: {a="b"} + le → {a="b",le="0.5"}.
std::string with_le(const std::string& labels, const std::string& le) {
  if (labels.empty()) return "{le=\"" + le + "\"}";
  return labels.substr(0, labels.size() - 1) + ",le=\"" + le + "\"}";
}

/// HELP text escapes backslashes and line feeds (the exposition format's rule).
std::string escape_help(std::string_view help) {
  std::string out;
  for (char c : help) {
    if (c == '\\') out += "\\\\";
    else if (c == '\n') out += "\\n";
    else out += c;
  }
  return out;
}

struct RenderedFamily {
  std::string help;
  std::string_view type;
  std::map<std::string, std::string> series;  // rendered labels → sample lines
};
}  // namespace

std::string Registry::render_with(const Scrape& collected) const {
  static constexpr std::string_view kTypes[] = {"counter", "gauge", "histogram"};
  std::map<std::string, RenderedFamily, std::less<>> families;
  {
    std::lock_guard lock(mutex_);
    for (const auto& [name, family] : families_) {
      auto& out = families[name];
      out.help = family.help;
      out.type = kTypes[static_cast<int>(family.type)];
      for (const auto& [key, s] : family.series) {
        auto& lines = out.series[key];
        if (s.counter) lines += fmt::format("{}{} {}\n", name, s.labels, s.counter->value());
        if (s.gauge) lines += fmt::format("{}{} {}\n", name, s.labels, s.gauge->value());
        if (s.histogram) {
          std::vector<std::uint64_t> cumulative;
          double sum = 0;
          std::uint64_t count = 0;
          s.histogram->snapshot(cumulative, sum, count);
          const auto& bounds = s.histogram->bounds();
          for (std::size_t i = 0; i < bounds.size(); ++i)
            lines += fmt::format("{}_bucket{} {}\n", name, with_le(s.labels, fmt::format("{}", bounds[i])), cumulative[i]);
          lines += fmt::format("{}_bucket{} {}\n", name, with_le(s.labels, "+Inf"), cumulative.back());
          lines += fmt::format("{}_sum{} {}\n{}_count{} {}\n", name, s.labels, sum, name, s.labels, count);
        }
      }
    }
  }
  for (const auto& [name, family] : collected.families_) {
    auto type = family.is_counter ? kTypes[0] : kTypes[1];
    auto [it, is_new] = families.try_emplace(name);
    if (is_new) {
      it->second.help = family.help;
      it->second.type = type;
    } else if (it->second.type != type) {
      continue;  // a stored series of another type owns the name
    }
    for (const auto& [labels, value] : family.samples)
      it->second.series.try_emplace(labels, fmt::format("{}{} {}\n", name, labels, value));
  }
  std::string out;
  for (const auto& [name, family] : families) {
    out += fmt::format("# HELP {} {}\n# TYPE {} {}\n", name, escape_help(family.help), name, family.type);
    for (const auto& [labels, lines] : family.series) out += lines;
  }
  return out;
}

std::string Registry::render() const {
  Scrape collected;
  collect_sync(collected);
  return render_with(collected);
}

boost::asio::awaitable<std::string> Registry::scrape() const {
  Scrape collected;
  collect_sync(collected);
  const auto entries = async_entries();
  for (const auto& entry : entries) {
    std::shared_ptr<AsyncCollector> collect;
    {
      std::lock_guard lock(entry->mutex);
      if (!entry->is_active) continue;
      collect = entry->async;  // kept alive here: reset() may run while it is awaited
    }
    co_await (*collect)(collected);
  }
  co_return render_with(collected);
}

}  // namespace sluice::obs
