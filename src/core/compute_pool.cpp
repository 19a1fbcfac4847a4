#include "sluice/core/compute_pool.hpp"

#include <boost/asio/post.hpp>

#include <sched.h>

#include <latch>
#include <memory>
#include <thread>

namespace sluice::core {

namespace {

/// Compute threads run as SCHED_BATCH: the same share of the CPU, but a compute thread that
/// wakes up does not preempt the IO thread that woke it. Where both share a core, the IO
/// thread then finishes its round of events and the compute thread takes everything queued
/// in one go: two context switches per round instead of two per model call (measured: one
/// voluntary and one involuntary switch per /generate request before).
void run_as_batch_work() {
  sched_param param{};
  sched_setscheduler(0, SCHED_BATCH, &param);  // best effort: an unknown policy changes nothing
}

}  // namespace

ComputePool::ComputePool(std::size_t threads) : threads_(threads == 0 ? 1 : threads), pool_(threads_) {
  // One task per thread, each held until all have started, so that every thread runs one. The
  // latch is shared: a thread may still be inside arrive_and_wait() when the constructor returns.
  auto started = std::make_shared<std::latch>(static_cast<std::ptrdiff_t>(threads_));
  for (std::size_t i = 0; i < threads_; ++i)
    boost::asio::post(pool_, [started] {
      run_as_batch_work();
      started->arrive_and_wait();
    });
  started->wait();
}

ComputePool::~ComputePool() { join(); }

void ComputePool::post(std::function<void()> fn) { boost::asio::post(pool_, std::move(fn)); }

void ComputePool::join() { pool_.join(); }

std::size_t available_cpus() {
  cpu_set_t set;
  CPU_ZERO(&set);
  if (sched_getaffinity(0, sizeof(set), &set) == 0) {
    int count = CPU_COUNT(&set);
    if (count > 0) return static_cast<std::size_t>(count);
  }
  unsigned n = std::thread::hardware_concurrency();
  return n == 0 ? 1 : n;
}

}  // namespace sluice::core
