#include "sluice/limits/admission.hpp"

#include "sluice/http/request.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <algorithm>

namespace sluice::limits {

namespace asio = boost::asio;
using Clock = std::chrono::steady_clock;

/// A queued request: its timer runs out at the queue timeout, or is cancelled when a leaving
/// request hands it its slot. Shared: the hand-over is posted to the waiter's own IO thread.
struct AdmissionGate::Waiter {
  explicit Waiter(asio::any_io_executor executor) : timer(std::move(executor)) {}
  asio::steady_timer timer;
  bool is_granted = false;  // guarded by the gate's mutex
};

/// A streamed response's slot, given back when its producer — and so the stream — is done.
class AdmissionGate::Slot {
 public:
  Slot(std::shared_ptr<AdmissionGate> gate, Clock::time_point granted) : gate_(std::move(gate)), granted_(granted) {}
  ~Slot() { gate_->release(granted_); }
  Slot(const Slot&) = delete;
  Slot& operator=(const Slot&) = delete;

 private:
  std::shared_ptr<AdmissionGate> gate_;
  Clock::time_point granted_;
};

namespace {

// A guard keeps the time its slot was granted in the request's GuardState.
void set_granted(http::GuardState& state, Clock::time_point when) {
  state.values[0] = static_cast<std::uint64_t>(when.time_since_epoch().count());
}
Clock::time_point granted(const http::GuardState& state) {
  return Clock::time_point(Clock::duration(static_cast<Clock::rep>(state.values[0])));
}

}  // namespace

std::shared_ptr<AdmissionGate> AdmissionGate::create(AdmissionOptions options) {
  auto gate = std::shared_ptr<AdmissionGate>(new AdmissionGate(options));
  if (options.metrics) {
    gate->metrics_ = options.metrics->add_collector([g = gate.get()](obs::Scrape& out) {
      const obs::Labels where{{g->options_.label, g->options_.name}};
      out.gauge("sluice_admission_in_flight", "Requests running in an admission gate.",
                static_cast<double>(g->in_flight()), where);
      out.gauge("sluice_admission_queue_depth", "Requests waiting for a slot in an admission gate.",
                static_cast<double>(g->queued()), where);
      out.gauge("sluice_admission_queue_limit", "Requests that may wait for a slot now (grows under a queue target).",
                static_cast<double>(g->queue_limit()), where);
      auto outcome = [&](std::string_view name, const std::atomic<std::uint64_t>& n) {
        out.counter("sluice_admission_requests_total", "Requests at an admission gate, by outcome.",
                    static_cast<double>(n.load()),
                    {{g->options_.label, g->options_.name}, {"outcome", std::string(name)}});
      };
      outcome("admitted", g->stats_.admitted);
      outcome("shed_queue_full", g->stats_.shed_queue_full);
      outcome("shed_timeout", g->stats_.shed_timeout);
    });
  }
  return gate;
}

AdmissionGate::Outcome AdmissionGate::try_enter() {
  std::lock_guard lock(mutex_);
  if (in_flight_ < options_.max_in_flight && waiting_.empty()) {
    ++in_flight_;
    return Outcome::admitted;
  }
  return waiting_.size() >= queue_limit_locked() ? Outcome::queue_full : Outcome::queued;
}

asio::awaitable<AdmissionGate::Outcome> AdmissionGate::wait_for_slot() {
  auto waiter = std::make_shared<Waiter>(co_await asio::this_coro::executor);
  waiter->timer.expires_after(options_.queue_timeout);
  {
    std::lock_guard lock(mutex_);  // the gate may have changed since try_enter(): decide again
    if (in_flight_ < options_.max_in_flight && waiting_.empty()) {
      ++in_flight_;
      co_return Outcome::admitted;
    }
    if (waiting_.size() >= queue_limit_locked()) co_return Outcome::queue_full;
    waiting_.push_back(waiter);
  }
  co_await waiter->timer.async_wait(asio::as_tuple(asio::use_awaitable));
  std::lock_guard lock(mutex_);
  if (waiter->is_granted) co_return Outcome::admitted;  // the slot was handed over (maybe just as time ran out)
  std::erase(waiting_, waiter);
  co_return Outcome::timed_out;
}

std::size_t AdmissionGate::queue_limit_locked() const {
  if (options_.queue_target.count() == 0 || mean_hold_seconds_ <= 0) return options_.max_queue;
  // Little's law: with every slot busy, the request at position q waits about
  // q × hold time / max_in_flight.
  const double fits = std::chrono::duration<double>(options_.queue_target).count() / mean_hold_seconds_ *
                      static_cast<double>(options_.max_in_flight);
  const std::size_t cap = std::max(options_.max_queue, options_.max_queue_under_target);
  if (fits >= static_cast<double>(cap)) return cap;
  return std::max(options_.max_queue, static_cast<std::size_t>(fits));
}

std::size_t AdmissionGate::queue_limit() const {
  std::lock_guard lock(mutex_);
  return queue_limit_locked();
}

void AdmissionGate::release(Clock::time_point granted) {
  const double held = std::chrono::duration<double>(Clock::now() - granted).count();
  std::shared_ptr<Waiter> next;
  {
    std::lock_guard lock(mutex_);
    // A moving average over the last ~16 slots: quick enough to follow a stage that slows down.
    mean_hold_seconds_ = mean_hold_seconds_ <= 0 ? held : mean_hold_seconds_ + (held - mean_hold_seconds_) / 16;
    if (waiting_.empty()) {
      --in_flight_;
      return;
    }
    next = std::move(waiting_.front());  // the slot passes on: in_flight_ stays
    waiting_.pop_front();
    next->is_granted = true;
  }
  // Timers are not thread-safe: wake the waiter on its own IO thread.
  asio::post(next->timer.get_executor(), [next] { next->timer.cancel(); });
}

std::size_t AdmissionGate::in_flight() const {
  std::lock_guard lock(mutex_);
  return in_flight_;
}

std::size_t AdmissionGate::queued() const {
  std::lock_guard lock(mutex_);
  return waiting_.size();
}

AdmissionPermit::~AdmissionPermit() {
  if (gate_) gate_->release(granted_);
}

namespace {
core::Error overloaded() { return {503, "overloaded", "The server is at capacity; retry later", nullptr}; }
}  // namespace

asio::awaitable<core::Result<AdmissionPermit>> AdmissionGate::acquire() {
  auto outcome = try_enter();
  if (outcome == Outcome::queued) outcome = co_await wait_for_slot();
  if (outcome != Outcome::admitted) {
    auto& counter = outcome == Outcome::queue_full ? stats_.shed_queue_full : stats_.shed_timeout;
    counter.fetch_add(1, std::memory_order_relaxed);
    co_return overloaded();
  }
  stats_.admitted.fetch_add(1, std::memory_order_relaxed);
  co_return AdmissionPermit(shared_from_this());
}

http::Guard::Verdict AdmissionGate::shed(Outcome outcome, std::optional<http::Response>& answer) {
  auto& counter = outcome == Outcome::queue_full ? stats_.shed_queue_full : stats_.shed_timeout;
  counter.fetch_add(1, std::memory_order_relaxed);
  answer = http::Response::error(overloaded());
  return Verdict::answer;
}

http::Guard::Verdict AdmissionGate::enter(http::Request&, http::GuardState& state,
                                          std::optional<http::Response>& answer) {
  switch (try_enter()) {
    case Outcome::admitted:
      set_granted(state, Clock::now());
      stats_.admitted.fetch_add(1, std::memory_order_relaxed);
      return Verdict::pass;
    case Outcome::queued:
      return Verdict::wait;
    default:
      return shed(Outcome::queue_full, answer);
  }
}

asio::awaitable<http::Guard::Verdict> AdmissionGate::enter_async(http::Request&, http::GuardState& state,
                                                                 std::optional<http::Response>& answer) {
  auto outcome = co_await wait_for_slot();
  if (outcome != Outcome::admitted) co_return shed(outcome, answer);
  set_granted(state, Clock::now());
  stats_.admitted.fetch_add(1, std::memory_order_relaxed);
  co_return Verdict::pass;
}

http::GuardDoc AdmissionGate::describe(std::string_view) const {
  return {{{503, "At capacity: retry after Retry-After seconds"}}};
}

void AdmissionGate::leave(http::Request&, http::GuardState& state, http::Response& response) {
  if (!response.is_streaming()) {
    release(granted(state));
    return;
  }
  auto slot = std::make_shared<Slot>(shared_from_this(), granted(state));
  response.producer() = [inner = std::move(response.producer()), slot](http::StreamWriter& writer) {
    return inner(writer);  // `slot` lives as long as this producer: until the stream is done
  };
}

}  // namespace sluice::limits
