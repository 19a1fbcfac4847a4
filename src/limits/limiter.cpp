#include "sluice/limits/limiter.hpp"

#include "sluice/http/request.hpp"

#include <spdlog/spdlog.h>

namespace sluice::limits {

namespace asio = boost::asio;

namespace {

long long ceil_seconds(std::chrono::nanoseconds d) { return std::chrono::ceil<std::chrono::seconds>(d).count(); }

/// Writes `value` in decimal at `out`, two digits per division; returns the end.
char* write_decimal(char* out, std::uint64_t value) {
  static constexpr char kPairs[] =
      "00010203040506070809101112131415161718192021222324252627282930313233343536373839"
      "40414243444546474849505152535455565758596061626364656667686970717273747576777879"
      "8081828384858687888990919293949596979899";
  char digits[20];  // a uint64 has at most 20
  std::size_t n = 20;
  while (value >= 100) {
    const auto pair = static_cast<std::size_t>(value % 100) * 2;
    value /= 100;
    digits[--n] = kPairs[pair + 1];
    digits[--n] = kPairs[pair];
  }
  if (value >= 10) {
    digits[--n] = kPairs[value * 2 + 1];
    digits[--n] = kPairs[value * 2];
  } else {
    digits[--n] = static_cast<char>('0' + value);
  }
  while (n < 20) *out++ = digits[n++];
  return out;
}

/// IETF draft-ietf-httpapi-ratelimit-headers: the quota, what is left, and seconds until reset.
/// `limit_line` is pre-rendered per limit; the rest is formatted on the stack and appended in
/// one go, as with limits on every route these go on every response.
void set_rate_headers(http::Response& response, std::string_view limit_line, std::uint64_t remaining,
                      std::uint64_t reset_seconds) {
  static constexpr std::string_view kRemaining = "RateLimit-Remaining: ";
  static constexpr std::string_view kReset = "\r\nRateLimit-Reset: ";
  char lines[160];  // the limit line (< 64), both names and two 20-digit numbers
  char* out = lines + limit_line.copy(lines, 64);
  out += kRemaining.copy(out, kRemaining.size());
  out = write_decimal(out, remaining);
  out += kReset.copy(out, kReset.size());
  out = write_decimal(out, reset_seconds);
  *out++ = '\r';
  *out++ = '\n';
  response.append_header_lines(std::string_view(lines, static_cast<std::size_t>(out - lines)));
}

class MemoryCounter final : public RateCounter {
 public:
  MemoryCounter(std::vector<RateLimit> rates, std::size_t max_keys) : limiter_(std::move(rates), max_keys) {}

  std::optional<Decision> acquire_now(std::string_view route, std::string_view key) override {
    if (route.empty()) return limiter_.acquire(key);
    // The route's pattern lives as long as the router: its address names the route, cheaper
    // than its text. The buffer keeps its capacity, so this allocates nothing.
    thread_local std::string bucket;
    const auto* pattern = route.data();
    bucket.assign(key).append(reinterpret_cast<const char*>(&pattern), sizeof pattern);
    return limiter_.acquire(bucket);
  }
  asio::awaitable<core::Result<Decision>> acquire(std::string_view route, std::string key) override {
    co_return *acquire_now(route, key);
  }

 private:
  RateLimiter limiter_;
};

}  // namespace

RateCounterFactory memory_counters(std::size_t max_keys) {
  return [max_keys](std::vector<RateLimit> rates, std::string) -> std::shared_ptr<RateCounter> {
    return std::make_shared<MemoryCounter>(std::move(rates), max_keys);
  };
}

namespace {

/// One policy: its limits, where they are counted, and who a request counts as.
class LimitGuard final : public http::Guard {
 public:
  LimitGuard(std::vector<RateLimit> rates, std::shared_ptr<RateCounter> counter, KeyFunction key, bool is_per_route,
             const LimiterOptions& options, std::shared_ptr<LimiterStats> stats)
      : rates_(std::move(rates)),
        counter_(std::move(counter)),
        key_(std::move(key)),
        is_per_route_(is_per_route),
        fail_open_(options.fail_open),
        headers_on_success_(options.headers_on_success),
        stats_(std::move(stats)) {
    for (const auto& rate : rates_) limit_lines_.push_back("RateLimit-Limit: " + std::to_string(rate.limit) + "\r\n");
  }

  Verdict enter(http::Request& request, http::GuardState& state, std::optional<http::Response>& answer) override {
    std::optional<Decision> decision;
    if (key_) decision = counter_->acquire_now(route(request), key_(request));
    else decision = counter_->acquire_now(route(request), request.client_host());  // no copy, no call
    if (!decision) return Verdict::wait;
    return decide(*decision, state, answer);
  }

  asio::awaitable<Verdict> enter_async(http::Request& request, http::GuardState& state,
                                       std::optional<http::Response>& answer) override {
    std::string key = key_ ? key_(request) : std::string(request.client_host());
    auto decision = co_await counter_->acquire(route(request), std::move(key));
    if (decision) co_return decide(*decision, state, answer);
    stats_->store_errors.fetch_add(1, std::memory_order_relaxed);
    spdlog::warn("rate limit store failed: {}", decision.error().message);
    state.values[0] = kNoDecision;
    if (fail_open_) co_return Verdict::pass;
    answer = http::Response::error({503, "rate_limit_unavailable", "Rate limiting is unavailable", nullptr});
    co_return Verdict::answer;
  }

  void leave(http::Request&, http::GuardState& state, http::Response& response) override {
    if (headers_on_success_ && state.values[0] != kNoDecision) add_headers(response, state);
  }

  http::GuardDoc describe(std::string_view) const override {
    http::GuardDoc doc{{{429, "Rate limit exceeded: retry after Retry-After seconds"}}};
    if (!fail_open_) doc.responses.emplace_back(503, "Rate limiting is unavailable");
    return doc;
  }

 private:
  std::string_view route(const http::Request& request) const {
    return is_per_route_ ? request.route() : std::string_view{};  // per route: each has its whole budget
  }

  static constexpr std::uint64_t kNoDecision = ~std::uint64_t{0};

  /// The limit to report (its index in rates_), what is left of it, and seconds until reset.
  static void record(const Decision& decision, http::GuardState& state) {
    state.values[0] = decision.limit_index;
    state.values[1] = decision.remaining;
    state.values[2] = static_cast<std::uint64_t>(ceil_seconds(decision.reset_after));
  }

  void add_headers(http::Response& response, const http::GuardState& state) const {
    set_rate_headers(response, limit_lines_[state.values[0]], state.values[1], state.values[2]);
  }

  Verdict decide(const Decision& decision, http::GuardState& state, std::optional<http::Response>& answer) {
    record(decision, state);
    if (decision.is_allowed) {
      stats_->allowed.fetch_add(1, std::memory_order_relaxed);
      return Verdict::pass;
    }
    stats_->limited.fetch_add(1, std::memory_order_relaxed);
    answer = http::Response::error(
        {429, "rate_limited", "Rate limit exceeded: " + rates_[decision.limit_index].describe(), nullptr});
    answer->set_header(http::Field::retry_after, std::to_string(ceil_seconds(decision.retry_after)));
    add_headers(*answer, state);
    return Verdict::answer;
  }

  std::vector<RateLimit> rates_;
  std::shared_ptr<RateCounter> counter_;
  KeyFunction key_;
  bool is_per_route_;
  bool fail_open_;
  bool headers_on_success_;
  std::shared_ptr<LimiterStats> stats_;
  std::vector<std::string> limit_lines_;  // "RateLimit-Limit: N\r\n" per limit
};

}  // namespace

Limiter::Limiter(LimiterOptions options) : options_(std::move(options)) {
  if (!options_.metrics) return;
  metrics_ = options_.metrics->add_collector([stats = stats_](obs::Scrape& out) {
    auto outcome = [&](std::string_view name, const std::atomic<std::uint64_t>& n) {
      out.counter("sluice_rate_limit_requests_total", "Requests checked by rate limits, by outcome.",
                  static_cast<double>(n.load()), {{"outcome", std::string(name)}});
    };
    outcome("allowed", stats->allowed);
    outcome("limited", stats->limited);
    outcome("store_error", stats->store_errors);
  });
}

std::shared_ptr<http::Guard> Limiter::limit(std::string_view spec, KeyFunction key) {
  return make(spec, std::string(spec), true, std::move(key));
}

std::shared_ptr<http::Guard> Limiter::shared_limit(std::string_view spec, std::string scope, KeyFunction key) {
  return make(spec, std::move(scope), false, std::move(key));
}

std::shared_ptr<http::Guard> Limiter::make(std::string_view spec, std::string scope, bool is_per_route,
                                           KeyFunction key) {
  auto rates = RateLimit::parse_all(spec);
  auto counter = options_.counters(rates, std::move(scope));
  if (!key) key = options_.key;  // may still be empty: the client's address
  return std::make_shared<LimitGuard>(std::move(rates), std::move(counter), std::move(key), is_per_route, options_,
                                      stats_);
}

}  // namespace sluice::limits
