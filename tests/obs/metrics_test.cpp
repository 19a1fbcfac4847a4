#include "sluice/obs/metrics.hpp"

#include <gtest/gtest.h>

#include <thread>
#include <vector>

namespace sluice::obs {
namespace {

TEST(Metrics, RendersCountersAndGaugesWithLabels) {
  Registry registry;
  registry.counter("jobs_total", "Jobs.", {{"state", "done"}}).inc(3);
  registry.counter("jobs_total", "Jobs.", {{"state", "failed"}}).inc();
  registry.gauge("in_flight", "Now.").set(7);
  EXPECT_EQ(registry.render(),
            "# HELP in_flight Now.\n# TYPE in_flight gauge\nin_flight 7\n"
            "# HELP jobs_total Jobs.\n# TYPE jobs_total counter\n"
            "jobs_total{state=\"done\"} 3\njobs_total{state=\"failed\"} 1\n");
}

TEST(Metrics, SameNameAndLabelsIsTheSameSeries) {
  Registry registry;
  auto& a = registry.counter("c", "h", {{"k", "v"}});
  auto& b = registry.counter("c", "h", {{"k", "v"}});
  EXPECT_EQ(&a, &b);
  EXPECT_THROW(registry.gauge("c", "h"), std::logic_error);
}

TEST(Metrics, HistogramBucketsAreCumulative) {
  Registry registry;
  auto& h = registry.histogram("latency_seconds", "L.", {{"route", "/x"}}, {0.1, 1});
  h.observe(0.05);
  h.observe(0.1);  // le is inclusive
  h.observe(0.5);
  h.observe(3);
  auto text = registry.render();
  EXPECT_NE(text.find("latency_seconds_bucket{route=\"/x\",le=\"0.1\"} 2\n"), std::string::npos) << text;
  EXPECT_NE(text.find("latency_seconds_bucket{route=\"/x\",le=\"1\"} 3\n"), std::string::npos);
  EXPECT_NE(text.find("latency_seconds_bucket{route=\"/x\",le=\"+Inf\"} 4\n"), std::string::npos);
  EXPECT_NE(text.find("latency_seconds_count{route=\"/x\"} 4\n"), std::string::npos);
  EXPECT_NE(text.find("latency_seconds_sum{route=\"/x\"} 3.65\n"), std::string::npos);
}

TEST(Metrics, EscapesLabelValues) {
  EXPECT_EQ(render_labels({{"path", "a\"b\\c\nd"}}), "{path=\"a\\\"b\\\\c\\nd\"}");
  EXPECT_EQ(render_labels({}), "");
}

TEST(Metrics, CountsExactlyUnderConcurrency) {
  Registry registry;
  auto& counter = registry.counter("n", "h");
  auto& histogram = registry.histogram("d", "h");
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&] {
      for (int i = 0; i < 10'000; ++i) {
        counter.inc();
        histogram.observe(0.001);
      }
    });
  for (auto& t : threads) t.join();
  EXPECT_EQ(counter.value(), 40'000u);
  EXPECT_NE(registry.render().find("d_count 40000\n"), std::string::npos);
}

}  // namespace
}  // namespace sluice::obs
