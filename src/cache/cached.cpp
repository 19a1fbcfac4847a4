#include "sluice/cache/cached.hpp"

#include "flights.hpp"

#include <boost/asio/associated_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/execution/outstanding_work.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/prefer.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace sluice::cache {

namespace asio = boost::asio;

namespace {

void resume(Flight::Waiter& waiter) {
  auto work = std::move(waiter.work);
  asio::post(work, std::move(waiter.resume));
}

/// Completes when `flight` has its result, on the waiting coroutine's own loop.
template <class Token>
auto async_join(Cache::Flights& flights, std::shared_ptr<Flight> flight, Token&& token) {
  return asio::async_initiate<Token, void()>(
      [&flights, flight](auto handler) {
        auto executor = asio::get_associated_executor(handler);
        Flight::Waiter waiter{asio::prefer(executor, asio::execution::outstanding_work.tracked), std::move(handler)};
        std::unique_lock lock(flights.mutex);
        if (!flight->result) {
          flight->waiters.push_back(std::move(waiter));
          return;
        }
        lock.unlock();
        resume(waiter);  // finished between our miss and now
      },
      token);
}

/// Publishes `result` to the waiters and retires the flight; only the first call counts.
void finish(Cache::Flights& flights, const std::string& key, const std::shared_ptr<Flight>& flight,
            const core::Result<std::string>& result) {
  std::vector<Flight::Waiter> waiters;
  {
    std::lock_guard lock(flights.mutex);
    if (flight->result) return;
    flight->result = result;
    waiters = std::move(flight->waiters);
    if (auto it = flights.in_flight.find(key); it != flights.in_flight.end() && it->second == flight)
      flights.in_flight.erase(it);
  }
  for (auto& waiter : waiters) resume(waiter);
}

/// Whatever happens to the leading call (its producer throws, its loop is destroyed), its
/// waiters get an answer instead of waiting forever.
struct FlightLeader {
  Cache::Flights& flights;
  std::string key;
  std::shared_ptr<Flight> flight;
  ~FlightLeader() { finish(flights, key, flight, core::internal_error("computing the cached value failed")); }
};

}  // namespace

asio::awaitable<core::Result<std::string>> cached(Cache& cache, std::string key, std::chrono::milliseconds ttl,
                                                  Producer produce) {
  if (auto hit = co_await cache.get(key)) co_return std::move(*hit);

  auto& flights = flights_of(cache);
  std::shared_ptr<Flight> flight;
  bool is_leader = false;
  {
    std::lock_guard lock(flights.mutex);
    auto& slot = flights.in_flight[key];
    if (!slot) {
      slot = std::make_shared<Flight>();
      is_leader = true;
    }
    flight = slot;
  }

  if (!is_leader) {
    co_await async_join(flights, flight, asio::use_awaitable);
    std::lock_guard lock(flights.mutex);
    co_return *flight->result;
  }

  FlightLeader leader{flights, key, flight};
  auto result = co_await produce();
  if (result) co_await cache.set(key, *result, ttl);  // before the flight retires: see cached.hpp
  finish(flights, key, flight, result);
  co_return result;
}

}  // namespace sluice::cache
