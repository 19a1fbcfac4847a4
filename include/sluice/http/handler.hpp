#pragma once
// Route handlers and middleware.

#include "sluice/http/response.hpp"

#include <boost/asio/awaitable.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>

namespace sluice::http {

class Request;
class Guard;

/// What one guard keeps about one request between Guard::enter() and Guard::leave();
/// uninitialised until the guard writes it.
struct GuardState {
  std::uint64_t values[3];
};

/// At most this many guards per route: their states live in the request, without allocation.
inline constexpr std::size_t kMaxGuards = 8;

/// A route handler: a coroutine from request to response.
using Handler = std::function<boost::asio::awaitable<Response>(Request&)>;

/// The rest of the chain: later middleware, then the route's handler (or the 404/405 answer).
using Next = Handler;

/// Runs around every parsed request: may answer itself (auth, limits) or call `next` and
/// adjust what it returns (request ids, metrics, logs). Registered with App::use, outermost first.
using Middleware = std::function<boost::asio::awaitable<Response>(Request&, const Next& next)>;

/// Watches every parsed request without taking part in it: cheaper than middleware (no extra
/// coroutine frame, no response moves), for metrics and access logs on the hot path.
struct RequestObserver {
  std::function<void(const Request&)> on_request;  // after routing, before the handler
  std::function<void(const Request&, const Response&, std::chrono::nanoseconds elapsed)> on_response;
};

}  // namespace sluice::http
