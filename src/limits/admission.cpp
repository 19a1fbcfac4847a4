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
  explicit Slot(std::shared_ptr<AdmissionGate> gate) : gate_(std::move(gate)) {}
  ~Slot() { gate_->release(); }
  Slot(const Slot&) = delete;
  Slot& operator=(const Slot&) = delete;

 private:
  std::shared_ptr<AdmissionGate> gate_;
};

std::shared_ptr<AdmissionGate> AdmissionGate::create(AdmissionOptions options) {
  auto gate = std::shared_ptr<AdmissionGate>(new AdmissionGate(options));
  if (options.metrics) {
    gate->metrics_ = options.metrics->add_collector([g = gate.get()](obs::Scrape& out) {
      const obs::Labels where{{g->options_.label, g->options_.name}};
      out.gauge("sluice_admission_in_flight", "Requests running in an admission gate.",
                static_cast<double>(g->in_flight()), where);
      out.gauge("sluice_admission_queue_depth", "Requests waiting for a slot in an admission gate.",
                static_cast<double>(g->queued()), where);
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
  return waiting_.size() >= options_.max_queue ? Outcome::queue_full : Outcome::queued;
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
    if (waiting_.size() >= options_.max_queue) co_return Outcome::queue_full;
    waiting_.push_back(waiter);
  }
  co_await waiter->timer.async_wait(asio::as_tuple(asio::use_awaitable));
  std::lock_guard lock(mutex_);
  if (waiter->is_granted) co_return Outcome::admitted;  // the slot was handed over (maybe just as time ran out)
  std::erase(waiting_, waiter);
  co_return Outcome::timed_out;
}

void AdmissionGate::release() {
  std::shared_ptr<Waiter> next;
  {
    std::lock_guard lock(mutex_);
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
  if (gate_) gate_->release();
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

http::Guard::Verdict AdmissionGate::enter(http::Request&, http::GuardState&, std::optional<http::Response>& answer) {
  switch (try_enter()) {
    case Outcome::admitted:
      stats_.admitted.fetch_add(1, std::memory_order_relaxed);
      return Verdict::pass;
    case Outcome::queued:
      return Verdict::wait;
    default:
      return shed(Outcome::queue_full, answer);
  }
}

asio::awaitable<http::Guard::Verdict> AdmissionGate::enter_async(http::Request&, http::GuardState&,
                                                                 std::optional<http::Response>& answer) {
  auto outcome = co_await wait_for_slot();
  if (outcome != Outcome::admitted) co_return shed(outcome, answer);
  stats_.admitted.fetch_add(1, std::memory_order_relaxed);
  co_return Verdict::pass;
}

http::GuardDoc AdmissionGate::describe(std::string_view) const {
  return {{{503, "At capacity: retry after Retry-After seconds"}}};
}

void AdmissionGate::leave(http::Request&, http::GuardState&, http::Response& response) {
  if (!response.is_streaming()) {
    release();
    return;
  }
  auto slot = std::make_shared<Slot>(shared_from_this());
  response.producer() = [inner = std::move(response.producer()), slot](http::StreamWriter& writer) {
    return inner(writer);  // `slot` lives as long as this producer: until the stream is done
  };
}

}  // namespace sluice::limits
