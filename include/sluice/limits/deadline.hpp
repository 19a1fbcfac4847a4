#pragma once
// Per-route request deadlines.

#include "sluice/core/error.hpp"
#include "sluice/http/handler.hpp"

#include <chrono>

namespace sluice::limits {

/// Middleware giving the rest of the chain `timeout`: past it the client gets 504
/// `deadline_exceeded`. The deadline is set on the request (`request.deadline()`, for calls
/// that take one) and, when it passes, the handler's pending wait (an upstream call, a timer,
/// a queued batch) is cancelled. CPU work already running on the compute pool cannot be
/// interrupted: the 504 is sent when it returns. `respond` writes the 504 in the route's error
/// format (api::ErrorFormat::respond); nullptr: Sluice's.
http::Middleware deadline(std::chrono::milliseconds timeout,
                          http::Response (*respond)(const core::Error& error) = nullptr);

}  // namespace sluice::limits
