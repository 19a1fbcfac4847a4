#include "sluice/core/compute_pool.hpp"

#include <boost/asio/co_spawn.hpp>
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
