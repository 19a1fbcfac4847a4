#include "sluice/limits/deadline.hpp"

#include "sluice/http/request.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <fmt/format.h>

#include <exception>
#include <memory>

namespace sluice::limits {

namespace asio = boost::asio;

namespace {

/// One request's race between its handler and its deadline; shared with the timer's callback,
/// which may run after the request is answered.
struct Race {
  Race(const asio::any_io_executor& executor, std::chrono::steady_clock::time_point deadline)
      : timer(executor, deadline) {}
  asio::steady_timer timer;
  asio::cancellation_signal cancel;  // cancels the handler's coroutine
  bool has_expired = false;
  bool is_done = false;
};

}  // namespace

http::Middleware deadline(std::chrono::milliseconds timeout, http::Response (*respond)(const core::Error& error)) {
  return [timeout, respond](http::Request& request, const http::Next& next) -> asio::awaitable<http::Response> {
    request.set_deadline(std::chrono::steady_clock::now() + timeout);
    auto executor = co_await asio::this_coro::executor;
    // The handler runs as a coroutine of its own, cancelled by whichever comes first: the
    // deadline (a plain timer callback) or this coroutine's own cancellation (the client left),
    // passed on. `next(request) || timer.async_wait(...)` did the same with a parallel group
    // that spawned two coroutines per request, a tenth of /generate's instructions.
    auto race = std::make_shared<Race>(executor, request.deadline());
    race->timer.async_wait([race](const boost::system::error_code& ec) {
      if (ec || race->is_done) return;
      race->has_expired = true;
      race->cancel.emit(asio::cancellation_type::terminal);
    });
    auto outer = co_await asio::this_coro::cancellation_state;
    outer.slot().assign([race](asio::cancellation_type type) {
      if (!race->is_done) race->cancel.emit(type);
    });
    auto handled = asio::co_spawn(executor, next(request),
                                  asio::bind_cancellation_slot(race->cancel.slot(), asio::as_tuple(asio::use_awaitable)));
    auto [failure, response] = co_await std::move(handled);
    // co_spawn leaves its cancellation handler in the slot after the coroutine ends (Boost
    // 1.81): nothing may emit into it any more.
    race->is_done = true;
    race->cancel.slot().clear();
    race->timer.cancel();
    if (race->has_expired) {
      core::Error late{504, "deadline_exceeded",
                       fmt::format("The request took longer than its {} ms deadline", timeout.count()), nullptr};
      co_return respond ? respond(late) : http::Response::error(late);
    }
    if (failure) std::rethrow_exception(failure);
    co_return std::move(response);
  };
}

}  // namespace sluice::limits
