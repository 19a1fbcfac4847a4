#pragma once
// Applies a RateLimiter to a route (slowapi's `@limiter.limit("10/minute")`).

#include "sluice/http/router.hpp"
#include "sluice/limits/rate_limiter.hpp"

#include <functional>
#include <memory>
#include <string>

namespace sluice::limits {

/// Which bucket a request counts against.
using KeyFunction = std::function<std::string(const http::Request&)>;

/// The client's IP address (the default key).
std::string client_address_key(const http::Request& request);

/// Wraps `handler`: requests over the limit get 429 `{"code":"rate_limited",...}` with
/// `Retry-After`; every response carries `X-RateLimit-Limit`, `X-RateLimit-Remaining` and
/// `X-RateLimit-Reset` (Unix time, in seconds, when the full limit is back).
http::Handler rate_limited(std::shared_ptr<RateLimiter> limiter, http::Handler handler,
                           KeyFunction key = client_address_key);

}  // namespace sluice::limits
