#pragma once
// The compute pool: where CPU-heavy work runs so that IO threads never block.

#include <boost/asio/awaitable.hpp>
#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <cstddef>
#include <functional>
#include <type_traits>

namespace sluice::core {

/// A fixed set of threads for CPU work. Handlers `co_await pool.run(fn)`: `fn` runs on a
/// compute thread and the handler resumes on its own IO thread with the result (or exception).
class ComputePool {
 public:
  explicit ComputePool(std::size_t threads);
  ~ComputePool();
  ComputePool(const ComputePool&) = delete;
  ComputePool& operator=(const ComputePool&) = delete;

  template <class F, class R = std::invoke_result_t<F>>
  boost::asio::awaitable<R> run(F fn) {
    // co_spawn completes through the awaiting coroutine's executor, so the caller resumes on
    // its own IO thread; exceptions thrown by fn are rethrown there. `fn` lives in call()'s
    // frame and the operation is built into a local before it is awaited: GCC 12 destroyed a
    // capturing lambda temporary inside the co_await expression twice (free(): invalid pointer
    // on GET /jobs).
    //
    // The caller's cancellation (a client gone, a deadline) is not passed on: `fn` cannot be
    // interrupted anyway, and Boost 1.81's co_spawn forwards it by dispatching a raw pointer to
    // its cancellation signal onto the pool, which dangles once the work has finished (a client
    // that left mid-search crashed the server). The caller still sees the cancellation at its
    // next await.
    auto work = call(std::move(fn));
    auto done = boost::asio::co_spawn(
        pool_, std::move(work),
        boost::asio::bind_cancellation_slot(boost::asio::cancellation_slot(), boost::asio::use_awaitable));
    co_return co_await std::move(done);
  }

  /// Fire-and-forget: run `fn` on a compute thread; the caller handles its own errors.
  void post(std::function<void()> fn);

  std::size_t size() const { return threads_; }
  /// Waits for queued work to finish, then joins the threads.
  void join();

 private:
  template <class F, class R = std::invoke_result_t<F>>
  static boost::asio::awaitable<R> call(F fn) {
    co_return fn();
  }

  std::size_t threads_;
  boost::asio::thread_pool pool_;
};

/// Threads this process may run on (its CPU affinity), at least 1: `taskset -c 0` means 1.
std::size_t available_cpus();

}  // namespace sluice::core
