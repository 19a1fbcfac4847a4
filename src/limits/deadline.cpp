#include "sluice/limits/deadline.hpp"

#include "sluice/http/request.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <fmt/format.h>

namespace sluice::limits {

namespace asio = boost::asio;
using namespace asio::experimental::awaitable_operators;

http::Middleware deadline(std::chrono::milliseconds timeout, http::Response (*respond)(const core::Error& error)) {
  return [timeout, respond](http::Request& request, const http::Next& next) -> asio::awaitable<http::Response> {
    request.set_deadline(std::chrono::steady_clock::now() + timeout);
    asio::steady_timer timer(co_await asio::this_coro::executor, request.deadline());
    // Whichever finishes first wins; the other is cancelled and awaited, so nothing the handler
    // references outlives it. The timer reports its cancellation as a value: with use_awaitable
    // alone every request that beats its deadline would throw and catch operation_aborted.
    auto outcome = co_await (next(request) || timer.async_wait(asio::as_tuple(asio::use_awaitable)));
    if (outcome.index() == 0) co_return std::move(std::get<0>(outcome));
    core::Error late{504, "deadline_exceeded",
                     fmt::format("The request took longer than its {} ms deadline", timeout.count()), nullptr};
    co_return respond ? respond(late) : http::Response::error(late);
  };
}

}  // namespace sluice::limits
