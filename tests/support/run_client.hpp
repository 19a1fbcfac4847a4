#pragma once
// Runs one HTTP client coroutine to completion on a private event loop (client tests).

#include "sluice/client/http_client.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <optional>

namespace sluice::test {

/// `body` returns an awaitable of core::Result<client::ClientResponse>; its result.
template <class F>
auto run_client(F body) {
  boost::asio::io_context io;
  std::optional<core::Result<client::ClientResponse>> out;
  boost::asio::co_spawn(
      io, [&]() -> boost::asio::awaitable<void> { out.emplace(co_await body()); }, boost::asio::detached);
  io.run();
  return std::move(*out);
}

}  // namespace sluice::test
