#include "sluice/core/compute_pool.hpp"

#include <boost/asio/post.hpp>

#include <sched.h>

#include <thread>

namespace sluice::core {

ComputePool::ComputePool(std::size_t threads) : threads_(threads == 0 ? 1 : threads), pool_(threads_) {}

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
