// Job-system throughput and latency, for bench/jobs.sh.
//   sluice-jobs-bench BACKEND JOBS WORKERS
// BACKEND: a SQLite file path, or redis://host:port. Two phases, both with no-op jobs:
//   throughput: 64 producer threads enqueue JOBS (as 64 concurrent API requests would, so enqueues
//   are group-committed), time until all have succeeded (enqueue → complete);
//   latency: 300 jobs at 100/s, each job's enqueue → start time in its handler.
// Prints one CSV line: backend,jobs,workers,jobs_per_s,latency_p50_ms,latency_p99_ms

#include "sluice/jobs/job_queue.hpp"

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

using namespace sluice::jobs;
using Clock = std::chrono::system_clock;

static std::int64_t now_us() {
  return std::chrono::duration_cast<std::chrono::microseconds>(Clock::now().time_since_epoch()).count();
}

int main(int argc, char** argv) {
  if (argc < 4) {
    std::fprintf(stderr, "usage: %s BACKEND JOBS WORKERS\n", argv[0]);
    return 2;
  }
  std::string backend = argv[1];
  const int jobs = std::stoi(argv[2]);
  const auto workers = static_cast<std::size_t>(std::stoi(argv[3]));
  auto store = backend.starts_with("redis://") ? open_redis_store(backend) : open_sqlite_store(backend);
  JobQueue queue(store);

  std::atomic<int> ran{0};
  std::mutex latency_mutex;
  std::vector<double> latencies_ms;
  bool measure_latency = false;
  queue.handle("noop", [&](JobContext& job) -> boost::json::value {
    if (measure_latency) {
      double ms = static_cast<double>(now_us() - job.payload().at("t").as_int64()) / 1000.0;
      std::lock_guard lock(latency_mutex);
      latencies_ms.push_back(ms);
    }
    ++ran;
    return nullptr;
  });
  Workers pool(queue, {.concurrency = workers, .poll_interval = Millis(5)});
  pool.start();

  auto start = std::chrono::steady_clock::now();
  std::vector<std::thread> producers;
  const int producer_count = 64;
  for (int p = 0; p < producer_count; ++p)
    producers.emplace_back([&, p] {
      for (int i = p; i < jobs; i += producer_count) queue.enqueue("noop", {{"t", now_us()}});
    });
  for (auto& producer : producers) producer.join();
  while (pool.completed() < static_cast<std::uint64_t>(jobs)) std::this_thread::sleep_for(std::chrono::milliseconds(2));
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();

  measure_latency = true;
  const int paced = 300;
  for (int i = 0; i < paced; ++i) {
    queue.enqueue("noop", {{"t", now_us()}});
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  while (ran.load() < jobs + paced) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  pool.stop();

  std::sort(latencies_ms.begin(), latencies_ms.end());
  auto pct = [&](double p) { return latencies_ms[static_cast<std::size_t>(p * (latencies_ms.size() - 1))]; };
  std::printf("%s,%d,%zu,%.0f,%.2f,%.2f\n", backend.starts_with("redis://") ? "sluice-redis" : "sluice-sqlite", jobs,
              workers, jobs / seconds, pct(0.50), pct(0.99));
  return 0;
}
