#pragma once
// Response caching for idempotent GET routes, as a guard:
//
//   auto responses = std::make_shared<cache::MemoryCache>();
//   app.get("/report", report, {.guards = {cache::response_cache(responses, std::chrono::seconds(30))}});

#include "sluice/cache/memory_cache.hpp"
#include "sluice/http/guard.hpp"

#include <chrono>
#include <memory>

namespace sluice::cache {

/// A guard answering GET requests from `cache` when it holds an answer for the same target
/// (path and query), with `X-Cache: HIT`; otherwise the handler runs and a 200 response that is
/// not streamed is kept for `ttl` (`X-Cache: MISS`). Keyed by the target only: use it on
/// routes whose answer does not depend on who asks. In-process (a MemoryCache), so that a hit
/// costs no wait.
std::shared_ptr<http::Guard> response_cache(std::shared_ptr<MemoryCache> cache, std::chrono::milliseconds ttl);

}  // namespace sluice::cache
