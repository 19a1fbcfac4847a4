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

/// An admitted request's slot, given back when the last holder (the middleware, or a streamed
/// body's producer) lets go.
class AdmissionGate::Slot {
 public:
  explicit Slot(std::shared_ptr<AdmissionGate> gate) : gate_(std::move(gate)) {}
  ~Slot() { gate_->leave(); }
  Slot(const Slot&) = delete;
  Slot& operator=(const Slot&) = delete;

 private:
  std::shared_ptr<AdmissionGate> gate_;
};

std::shared_ptr<AdmissionGate> AdmissionGate::create(AdmissionOptions options) {
  return std::shared_ptr<AdmissionGate>(new AdmissionGate(options));
}

asio::awaitable<AdmissionGate::Outcome> AdmissionGate::enter() {
  auto executor = co_await asio::this_coro::executor;
  std::shared_ptr<Waiter> waiter;
  {
    std::lock_guard lock(mutex_);
    if (in_flight_ < options_.max_in_flight && waiting_.empty()) {
      ++in_flight_;
      co_return Outcome::admitted;
    }
    if (waiting_.size() >= options_.max_queue) co_return Outcome::queue_full;
    waiter = std::make_shared<Waiter>(executor);
    waiter->timer.expires_after(options_.queue_timeout);
    waiting_.push_back(waiter);
  }
  co_await waiter->timer.async_wait(asio::as_tuple(asio::use_awaitable));
  std::lock_guard lock(mutex_);
  if (waiter->is_granted) co_return Outcome::admitted;  // the slot was handed over (maybe just as time ran out)
  std::erase(waiting_, waiter);
  co_return Outcome::timed_out;
}

void AdmissionGate::leave() {
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

http::Middleware AdmissionGate::middleware() {
  return [gate = shared_from_this()](http::Request& request, const http::Next& next) -> asio::awaitable<http::Response> {
    const Outcome outcome = co_await gate->enter();
    if (outcome != Outcome::admitted) {
      auto& shed = outcome == Outcome::queue_full ? gate->stats_.shed_queue_full : gate->stats_.shed_timeout;
      shed.fetch_add(1, std::memory_order_relaxed);
      auto response = http::Response::error({503, "overloaded", "The server is at capacity; retry later", nullptr});
      response.set_header(http::Field::retry_after, "1");
      co_return response;
    }
    gate->stats_.admitted.fetch_add(1, std::memory_order_relaxed);
    auto slot = std::make_shared<Slot>(gate);
    auto response = co_await next(request);
    if (response.is_streaming()) {
      response.producer() = [inner = std::move(response.producer()), slot](http::StreamWriter& writer) {
        return inner(writer);  // `slot` lives as long as this producer: until the stream is done
      };
    }
    co_return response;
  };
}

}  // namespace sluice::limits
