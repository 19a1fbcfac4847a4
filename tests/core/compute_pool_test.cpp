#include "sluice/core/compute_pool.hpp"

#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/io_context.hpp>
#include <gtest/gtest.h>

#include <stdexcept>
#include <thread>

namespace sluice::core {
namespace {

namespace asio = boost::asio;

TEST(ComputePool, RunsOffTheIoThreadAndResumesOnIt) {
  ComputePool pool(2);
  asio::io_context io;
  std::thread::id io_thread, work_thread, resumed_thread;
  int result = 0;
  asio::co_spawn(
      io,
      [&]() -> asio::awaitable<void> {
        io_thread = std::this_thread::get_id();
        result = co_await pool.run([&] {
          work_thread = std::this_thread::get_id();
          return 6 * 7;
        });
        resumed_thread = std::this_thread::get_id();
      },
      asio::detached);
  io.run();
  EXPECT_EQ(result, 42);
  EXPECT_NE(work_thread, io_thread);
  EXPECT_EQ(resumed_thread, io_thread);
}

// A client that leaves cancels its handler while the handler waits on the pool. Boost 1.81's
// co_spawn forwarded that cancellation to the pool through a pointer that dangled once the work
// had finished: the server crashed under wrk's disconnects (bench/rag_search.sh). The work now
// runs to its end and the caller sees the cancellation afterwards; this must never touch freed
// memory (run it under the asan preset to see the difference).
TEST(ComputePool, CancellingTheCallerWhileItsWorkRunsIsHarmless) {
  ComputePool pool(2);
  asio::io_context io;
  int finished = 0;
  for (int i = 0; i < 2000; ++i) {
    asio::cancellation_signal client_gone;
    auto handler = [&]() -> asio::awaitable<void> {
      co_await pool.run([] { return 1; });
      ++finished;
    };
    asio::co_spawn(io, handler(), asio::bind_cancellation_slot(client_gone.slot(), [](std::exception_ptr) {}));
    asio::post(io, [&] { client_gone.emit(asio::cancellation_type::terminal); });
    io.run();
    io.restart();
  }
  EXPECT_EQ(finished, 2000);  // the work is not interrupted: each caller got its result
}

TEST(ComputePool, ExceptionsReachTheAwaitingCoroutine) {
  ComputePool pool(1);
  asio::io_context io;
  std::string caught;
  asio::co_spawn(
      io,
      [&]() -> asio::awaitable<void> {
        try {
          co_await pool.run([]() -> int { throw std::runtime_error("model failed"); });
        } catch (const std::runtime_error& e) {
          caught = e.what();
        }
      },
      asio::detached);
  io.run();
  EXPECT_EQ(caught, "model failed");
}

TEST(ComputePool, AtLeastOneCpu) { EXPECT_GE(available_cpus(), 1u); }

}  // namespace
}  // namespace sluice::core
