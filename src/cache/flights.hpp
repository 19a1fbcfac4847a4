#pragma once
// Single-flight state behind cached(): the computations in progress, by key.

#include "sluice/cache/cache.hpp"
#include "sluice/core/error.hpp"

#include <boost/asio/any_completion_handler.hpp>
#include <boost/asio/any_io_executor.hpp>

#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

namespace sluice::cache {

/// One computation in progress and the calls waiting for its result.
struct Flight {
  struct Waiter {
    boost::asio::any_io_executor work;  // the waiter's loop, kept running while it waits
    boost::asio::any_completion_handler<void()> resume;
  };
  std::optional<core::Result<std::string>> result;  // set once
  std::vector<Waiter> waiters;
};

/// Waiters come from any IO thread, hence one mutex; it is taken on misses only.
struct Cache::Flights {
  std::mutex mutex;  // guards in_flight and every Flight in it
  std::unordered_map<std::string, std::shared_ptr<Flight>> in_flight;
};

Cache::Flights& flights_of(Cache& cache);

}  // namespace sluice::cache
