#include "sluice/limits/deadline.hpp"

#include "sluice/http/request.hpp"

#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <fmt/format.h>

#include <exception>
#include <memory>
#include <optional>

namespace sluice::limits {

namespace asio = boost::asio;

namespace {

/// One request's deadline; shared with the timer's callback, which may run after the request
/// is answered (it then does nothing).
struct Expiry {
  Expiry(const asio::any_io_executor& executor, std::chrono::steady_clock::time_point deadline)
      : timer(executor, deadline) {}
  asio::steady_timer timer;
  const http::Request* request = nullptr;  // null once the handler has returned
  bool has_passed = false;
};

}  // namespace

http::Middleware deadline(std::chrono::milliseconds timeout, http::Response (*respond)(const core::Error& error)) {
  return [timeout, respond](http::Request& request, const http::Next& next) -> asio::awaitable<http::Response> {
    request.set_deadline(std::chrono::steady_clock::now() + timeout);
    // Past the deadline a plain timer callback cancels what the handler awaits, through the
    // connection (Request::cancel_handler), and this answers 504. Racing the handler against a
    // timer (`next(request) || timer.async_wait(...)`) spawned two coroutines per request, and
    // one spawned coroutine still cost a tenth of /generate's instructions.
    auto expiry = std::make_shared<Expiry>(co_await asio::this_coro::executor, request.deadline());
    expiry->request = &request;
    expiry->timer.async_wait([expiry](const boost::system::error_code& ec) {
      if (ec || !expiry->request) return;
      expiry->has_passed = true;
      expiry->request->cancel_handler();
    });
    std::exception_ptr failure;
    std::optional<http::Response> response;
    try {
      response.emplace(co_await next(request));
    } catch (...) {
      failure = std::current_exception();
    }
    expiry->request = nullptr;
    expiry->timer.cancel();
    if (expiry->has_passed) {
      // The cancellation was ours, not the client's: the connection goes on to answer.
      co_await asio::this_coro::reset_cancellation_state();
      core::Error late{504, "deadline_exceeded",
                       fmt::format("The request took longer than its {} ms deadline", timeout.count()), nullptr};
      co_return respond ? respond(late) : http::Response::error(late);
    }
    if (failure) std::rethrow_exception(failure);
    co_return std::move(*response);
  };
}

}  // namespace sluice::limits
