#include "sluice/obs/metrics.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>

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

namespace {
/// Inserts `le` into rendered labels: {a="b"} + le → {a="b",le="0.5"}.
std::string with_le(const std::string& labels, const std::string& le) {
  if (labels.empty()) return "{le=\"" + le + "\"}";
  return labels.substr(0, labels.size() - 1) + ",le=\"" + le + "\"}";
}
}  // namespace

std::string Registry::render() const {
  std::string out;
  std::lock_guard lock(mutex_);
  for (const auto& [name, family] : families_) {
    static constexpr std::string_view kTypes[] = {"counter", "gauge", "histogram"};
    out += fmt::format("# HELP {} {}\n# TYPE {} {}\n", name, family.help, name,
                       kTypes[static_cast<int>(family.type)]);
    for (const auto& [key, s] : family.series) {
      if (s.counter) out += fmt::format("{}{} {}\n", name, s.labels, s.counter->value());
      if (s.gauge) out += fmt::format("{}{} {}\n", name, s.labels, s.gauge->value());
      if (s.histogram) {
        std::vector<std::uint64_t> cumulative;
        double sum = 0;
        std::uint64_t count = 0;
        s.histogram->snapshot(cumulative, sum, count);
        const auto& bounds = s.histogram->bounds();
        for (std::size_t i = 0; i < bounds.size(); ++i)
          out += fmt::format("{}_bucket{} {}\n", name, with_le(s.labels, fmt::format("{}", bounds[i])), cumulative[i]);
        out += fmt::format("{}_bucket{} {}\n", name, with_le(s.labels, "+Inf"), cumulative.back());
        out += fmt::format("{}_sum{} {}\n{}_count{} {}\n", name, s.labels, sum, name, s.labels, count);
      }
    }
  }
  return out;
}

}  // namespace sluice::obs
