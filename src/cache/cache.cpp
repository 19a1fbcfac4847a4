#include "sluice/cache/cache.hpp"

#include "flights.hpp"

namespace sluice::cache {

Cache::Cache() : flights_(std::make_unique<Flights>()) {}
Cache::~Cache() = default;

Cache::Flights& flights_of(Cache& cache) { return *cache.flights_; }

}  // namespace sluice::cache
