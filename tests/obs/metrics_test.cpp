#include "sluice/obs/metrics.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>
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

TEST(Metrics, CollectorsWriteAtScrapeTimeMergedWithStoredSeries) {
  Registry registry;
  registry.counter("requests_total", "Requests.", {{"route", "/a"}}).inc(2);
  std::atomic<int> depth{3};
  auto gate_a = registry.add_collector([&](Scrape& out) {
    out.gauge("queue_depth", "Waiting.", depth.load(), {{"route", "/a"}});
    out.counter("requests_total", "Requests.", 5, {{"route", "/b"}});
  });
  auto gate_b = registry.add_collector([](Scrape& out) { out.gauge("queue_depth", "Waiting.", 1, {{"route", "/b"}}); });
  EXPECT_EQ(registry.render(),
            "# HELP queue_depth Waiting.\n# TYPE queue_depth gauge\n"
            "queue_depth{route=\"/a\"} 3\nqueue_depth{route=\"/b\"} 1\n"
            "# HELP requests_total Requests.\n# TYPE requests_total counter\n"
            "requests_total{route=\"/a\"} 2\nrequests_total{route=\"/b\"} 5\n");
  depth = 9;  // read again at the next scrape
  EXPECT_NE(registry.render().find("queue_depth{route=\"/a\"} 9\n"), std::string::npos);
  gate_b.reset();  // unregistered: its series goes away
  EXPECT_EQ(registry.render().find("route=\"/b\"} 1"), std::string::npos);
}

TEST(Metrics, SamplesOfOneSeriesFromSeveralCollectorsAddUp) {
  Registry registry;
  auto one = registry.add_collector([](Scrape& out) { out.counter("limited_total", "L.", 2); });
  auto two = registry.add_collector([](Scrape& out) { out.counter("limited_total", "L.", 3); });
  auto wrong_type = registry.add_collector([](Scrape& out) { out.gauge("limited_total", "L.", 100); });
  EXPECT_NE(registry.render().find("limited_total 5\n"), std::string::npos) << registry.render();
}

TEST(Metrics, LabelValuesAndHelpAreEscaped) {
  Registry registry;
  auto route = registry.add_collector([](Scrape& out) {
    out.gauge("in_flight", "Requests \\ now\nand then.", 1, {{"route", "/x\"y\\z\n"}});
  });
  auto text = registry.render();
  EXPECT_NE(text.find("# HELP in_flight Requests \\\\ now\\nand then.\n"), std::string::npos) << text;
  EXPECT_NE(text.find("in_flight{route=\"/x\\\"y\\\\z\\n\"} 1\n"), std::string::npos) << text;
}

TEST(Metrics, ACollectionOutlivingItsRegistryIsHarmless) {
  Collection kept;
  {
    Registry registry;
    kept = registry.add_collector([](Scrape& out) { out.gauge("g", "G.", 1); });
    EXPECT_TRUE(kept.is_active());
  }
  kept.reset();
  EXPECT_FALSE(kept.is_active());
}

TEST(Metrics, ScrapeAwaitsAsyncCollectors) {
  Registry registry;
  auto sync = registry.add_collector([](Scrape& out) { out.gauge("now", "N.", 1); });
  auto async = registry.add_async_collector([](Scrape& out) -> boost::asio::awaitable<void> {
    out.gauge("jobs", "Jobs.", 4, {{"state", "queued"}});
    co_return;
  });
  EXPECT_EQ(registry.render().find("jobs{"), std::string::npos) << "render() cannot await";
  boost::asio::io_context loop;
  auto text = boost::asio::co_spawn(loop, registry.scrape(), boost::asio::use_future);
  loop.run();
  auto scraped = text.get();
  EXPECT_NE(scraped.find("jobs{state=\"queued\"} 4\n"), std::string::npos) << scraped;
  EXPECT_NE(scraped.find("now 1\n"), std::string::npos) << scraped;
}

}  // namespace
}  // namespace sluice::obs
