#pragma once
// The compute pool: where CPU-heavy work runs so that IO threads never block.

#include <boost/asio/awaitable.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/execution/outstanding_work.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/prefer.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <cstddef>
#include <exception>
#include <functional>
#include <optional>
#include <type_traits>
#include <variant>

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
    // One post to the pool and one back to the awaiting coroutine's executor, so the caller
    // resumes on its own IO thread; an exception thrown by fn is rethrown there. (A coroutine
    // co_spawn'ed onto the pool did the same for ~8,000 instructions more per call.)
    //
    // The caller's cancellation (a client gone, a deadline) is not passed on: `fn` cannot be
    // interrupted anyway. The caller still sees the cancellation at its next await.
    auto outcome = co_await hop(std::move(fn));
    if (outcome.failure) std::rethrow_exception(outcome.failure);
    if constexpr (!std::is_void_v<R>) co_return std::move(*outcome.value);
  }

  /// Fire-and-forget: run `fn` on a compute thread; the caller handles its own errors.
  void post(std::function<void()> fn);

  std::size_t size() const { return threads_; }
  /// Waits for queued work to finish, then joins the threads.
  void join();

 private:
  template <class R>
  struct Outcome {
    std::exception_ptr failure;
    std::optional<std::conditional_t<std::is_void_v<R>, std::monostate, R>> value;
  };

  /// Runs fn on the pool; completes on the awaiting coroutine's executor with its Outcome.
  template <class F, class R = std::invoke_result_t<F>>
  auto hop(F fn) {
    return boost::asio::async_initiate<const boost::asio::use_awaitable_t<>&, void(Outcome<R>)>(
        [this](auto handler, F fn) {
          auto home = boost::asio::prefer(boost::asio::get_associated_executor(handler),
                                          boost::asio::execution::outstanding_work.tracked);
          boost::asio::post(pool_, [fn = std::move(fn), handler = std::move(handler), home = std::move(home)]() mutable {
            Outcome<R> outcome;
            try {
              if constexpr (std::is_void_v<R>) {
                fn();
                outcome.value.emplace();
              } else {
                outcome.value.emplace(fn());
              }
            } catch (...) {
              outcome.failure = std::current_exception();
            }
            boost::asio::post(home, [handler = std::move(handler), outcome = std::move(outcome)]() mutable {
              std::move(handler)(std::move(outcome));
            });
          });
        },
        boost::asio::use_awaitable, std::move(fn));
  }

  std::size_t threads_;
  boost::asio::thread_pool pool_;
};

/// Threads this process may run on (its CPU affinity), at least 1: `taskset -c 0` means 1.
std::size_t available_cpus();

}  // namespace sluice::core
