#pragma once
// Runs one coroutine to completion on a private event loop and returns what it co_returns:
// how the client, provider and streaming tests call awaitable APIs from a test body.

#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>

#include <optional>
#include <type_traits>
#include <utility>

namespace sluice::test {

template <class Awaitable>
struct awaited;
template <class T>
struct awaited<boost::asio::awaitable<T>> {
  using type = T;
};

/// `body` returns a boost::asio::awaitable<T>; its T, once the loop has run out of work.
template <class F>
auto run_coroutine(F body) {
  using T = typename awaited<std::invoke_result_t<F&>>::type;
  boost::asio::io_context io;
  std::optional<T> out;
  boost::asio::co_spawn(
      io, [&]() -> boost::asio::awaitable<void> { out.emplace(co_await body()); }, boost::asio::detached);
  io.run();
  return std::move(*out);
}

}  // namespace sluice::test
