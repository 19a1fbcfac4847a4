#include "sluice/cache/cache.hpp"

#include "flights.hpp"

namespace sluice::cache {

Cache::Cache() : flights_(std::make_unique<Flights>()) {}
Cache::~Cache() = default;

void Cache::report_to(const std::shared_ptr<obs::Registry>& registry, std::string name) {
  if (!registry) return;
  metrics_ = registry->add_collector([this, name = std::move(name)](obs::Scrape& out) {
    const obs::Labels cache{{"cache", name}};
    out.counter("sluice_cache_hits_total", "Cache lookups that found a value.", static_cast<double>(hits()), cache);
    out.counter("sluice_cache_misses_total", "Cache lookups that found nothing (backend errors included).",
                static_cast<double>(misses()), cache);
    out.counter("sluice_cache_errors_total", "Cache backend failures (served as misses).",
                static_cast<double>(errors()), cache);
  });
}

Cache::Flights& flights_of(Cache& cache) { return *cache.flights_; }

}  // namespace sluice::cache
