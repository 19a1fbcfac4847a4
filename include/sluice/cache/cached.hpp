#pragma once
// Get-or-compute over any Cache, with request coalescing.

#include "sluice/cache/cache.hpp"
#include "sluice/core/error.hpp"

#include <functional>

namespace sluice::cache {

/// Computes a value to cache; an Error is returned to the caller and not cached.
using Producer = std::function<boost::asio::awaitable<core::Result<std::string>>()>;

/// The cached value for `key`, or else `produce()`'s, stored for `ttl`.
/// Single-flight: concurrent misses for one key in this process (any thread) run `produce`
/// once; the others wait for its result (errors included) rather than calling it again.
/// A miss that comes just as a flight finishes may start another flight: this saves
/// duplicate work; it does not promise "exactly once".
/// Waiters wait as long as the leading call's producer runs, so give the producer a deadline.
boost::asio::awaitable<core::Result<std::string>> cached(Cache& cache, std::string key, std::chrono::milliseconds ttl,
                                                         Producer produce);

}  // namespace sluice::cache
