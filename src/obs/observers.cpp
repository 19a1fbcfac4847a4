#include "sluice/obs/observers.hpp"

#include "sluice/core/json_text.hpp"
#include "sluice/http/request.hpp"

#include <boost/json/object.hpp>
#include <spdlog/spdlog.h>

#include <chrono>
#include <mutex>
#include <unordered_map>

namespace sluice::obs {

using http::Request;
using http::Response;

namespace {

/// The series of one (route, method, status), resolved once per IO thread and cached: the
/// registry's lookups build label strings, which would cost more than serving /health.
class HttpSeries {
 public:
  explicit HttpSeries(std::shared_ptr<Registry> registry) : registry_(std::move(registry)) {
    in_flight_ = &registry_->gauge("sluice_http_requests_in_flight", "Requests being handled now.");
  }
  Gauge& in_flight() { return *in_flight_; }

  /// `route` views a pattern the router owns (stable for the server's life), so its address
  /// identifies it: the cache key needs no string.
  void record(std::string_view route, http::Verb method, unsigned status, double seconds) {
    Key key{route.data(), route.size(), static_cast<int>(method), status};
    // Each IO thread keeps its own map from key to series: after the first request of a kind,
    // recording takes no lock at all.
    thread_local std::unordered_map<const HttpSeries*, std::unordered_map<Key, Entry, KeyHash>> per_thread;
    auto& cache = per_thread[this];
    auto it = cache.find(key);
    if (it == cache.end()) it = cache.emplace(key, resolve(route, method, status)).first;
    it->second.requests->inc();
    it->second.duration->observe(seconds);
  }

 private:
  struct Entry;
  Entry resolve(std::string_view route, http::Verb method, unsigned status) {
    std::string route_label = route.empty() ? "none" : std::string(route);
    std::string method_name(http::beast_http::to_string(method));
    return {&registry_->counter("sluice_http_requests_total", "Requests answered, by route, method and status.",
                                {{"route", route_label}, {"method", method_name}, {"status", std::to_string(status)}}),
            &registry_->histogram("sluice_http_request_duration_seconds",
                                  "Time from parsed request to response ready, by route and method.",
                                  {{"route", route_label}, {"method", method_name}})};
  }

  struct Key {
    const char* route;
    std::size_t length;
    int method;
    unsigned status;
    bool operator==(const Key&) const = default;
  };
  struct KeyHash {
    std::size_t operator()(const Key& k) const {
      return std::hash<const void*>{}(k.route) ^ (k.length * 31) ^ (static_cast<std::size_t>(k.method) << 20) ^
             (static_cast<std::size_t>(k.status) << 8);
    }
  };
  struct Entry {
    Counter* requests;
    Histogram* duration;
  };
  std::shared_ptr<Registry> registry_;  // thread-safe: resolve() may run on any IO thread
  Gauge* in_flight_;
};

}  // namespace

http::RequestObserver http_metrics(std::shared_ptr<Registry> registry) {
  auto series = std::make_shared<HttpSeries>(std::move(registry));
  return {[series](const Request&) { series->in_flight().add(1); },
          [series](const Request& request, const Response& response, std::chrono::nanoseconds elapsed) {
            series->in_flight().add(-1);
            series->record(request.route(), request.method(), static_cast<unsigned>(response.status()),
                           std::chrono::duration<double>(elapsed).count());
          }};
}

http::RequestObserver access_log() {
  return {{}, [](const Request& request, const Response& response, std::chrono::nanoseconds elapsed) {
            boost::json::object line{{"request_id", request.request_id()},
                                     {"client", std::string(request.client_host())},
                                     {"method", std::string_view(http::beast_http::to_string(request.method()))},
                                     {"path", request.path()},
                                     {"route", request.route()},
                                     {"status", static_cast<unsigned>(response.status())},
                                     {"duration_ms", std::chrono::duration<double, std::milli>(elapsed).count()}};
            spdlog::info("{}", core::json_text(line));
          }};
}

}  // namespace sluice::obs
