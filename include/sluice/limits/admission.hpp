#pragma once
// Admission control: at most N requests run a stage at once, a bounded queue waits for a
// slot, and everything past that is shed at once with 503 — so a burst costs bounded memory
// and the requests that are admitted keep their latency.
//
// As a guard, a gate covers a whole route:
//   auto gate = limits::AdmissionGate::create({.max_in_flight = 64, .max_queue = 64});
//   app.post("/v1/embeddings", embed, {.guards = {gate}});
// Awaited, it covers only the expensive stage of a handler (the server's model calls), so that
// a request waiting on I/O holds no slot:
//   auto permit = co_await gate->acquire();
//   if (!permit) co_return permit.error();   // 503 overloaded

#include "sluice/core/error.hpp"
#include "sluice/http/guard.hpp"
#include "sluice/obs/metrics.hpp"

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>

namespace sluice::limits {

struct AdmissionOptions {
  std::size_t max_in_flight = 64;  // requests running at once
  std::size_t max_queue = 64;      // requests waiting for a slot; past it: shed at once
  std::chrono::milliseconds queue_timeout{1'000};  // longest wait for a slot; past it: shed
  /// Set: the queue may hold more than max_queue while the wait that implies stays under this
  /// target — position × (measured time a slot is held) / max_in_flight, by Little's law. A
  /// fast stage then absorbs a burst that a count sized for a slow one would shed; a slow
  /// stage keeps max_queue. Zero: max_queue alone.
  std::chrono::milliseconds queue_target{0};
  std::size_t max_queue_under_target = 4096;  // the queue's bound however fast the stage is
  /// Where the gate reports sluice_admission_{in_flight,queue_depth,requests_total}, labelled
  /// `label`=`name` (route="/v1/embeddings", stage="generate"); none: not reported.
  std::shared_ptr<obs::Registry> metrics;
  std::string name;
  std::string label = "route";
};

struct AdmissionStats {
  std::atomic<std::uint64_t> admitted{0};
  std::atomic<std::uint64_t> shed_queue_full{0};
  std::atomic<std::uint64_t> shed_timeout{0};
};

class AdmissionGate;

/// A slot held in an AdmissionGate; given back when the permit is destroyed. Move-only.
class AdmissionPermit {
 public:
  explicit AdmissionPermit(std::shared_ptr<AdmissionGate> gate)
      : gate_(std::move(gate)), granted_(std::chrono::steady_clock::now()) {}
  AdmissionPermit(AdmissionPermit&&) noexcept = default;
  AdmissionPermit& operator=(AdmissionPermit&&) noexcept = default;
  ~AdmissionPermit();

 private:
  std::shared_ptr<AdmissionGate> gate_;
  std::chrono::steady_clock::time_point granted_;  // for the gate's measure of how long a slot is held
};

/// A guard that lets a request through once a slot is free. Shed requests get 503
/// `overloaded` with Retry-After. A streamed response keeps its slot until the stream ends.
class AdmissionGate final : public http::Guard, public std::enable_shared_from_this<AdmissionGate> {
 public:
  static std::shared_ptr<AdmissionGate> create(AdmissionOptions options);

  Verdict enter(http::Request& request, http::GuardState& state, std::optional<http::Response>& answer) override;
  boost::asio::awaitable<Verdict> enter_async(http::Request& request, http::GuardState& state,
                                              std::optional<http::Response>& answer) override;
  void leave(http::Request& request, http::GuardState& state, http::Response& response) override;
  http::GuardDoc describe(std::string_view route) const override;

  /// Waits (within the queue timeout) for a slot. Errors: 503 `overloaded`.
  boost::asio::awaitable<core::Result<AdmissionPermit>> acquire();

  std::size_t in_flight() const;
  std::size_t queued() const;
  /// How many may wait now: max_queue, or more under a queue_target (see AdmissionOptions).
  std::size_t queue_limit() const;
  const AdmissionOptions& options() const { return options_; }
  const AdmissionStats& stats() const { return stats_; }

 private:
  friend class AdmissionPermit;
  struct Waiter;
  class Slot;
  explicit AdmissionGate(AdmissionOptions options) : options_(options) {}

  enum class Outcome { admitted, queue_full, queued, timed_out };
  /// Takes a free slot, or says the request must queue (or cannot): no suspension, no allocation.
  Outcome try_enter();
  /// Queues for a slot: admitted, or timed_out.
  boost::asio::awaitable<Outcome> wait_for_slot();
  /// Gives back a slot held since `granted`.
  void release(std::chrono::steady_clock::time_point granted);
  std::size_t queue_limit_locked() const;
  Verdict shed(Outcome outcome, std::optional<http::Response>& answer);

  AdmissionOptions options_;
  AdmissionStats stats_;
  mutable std::mutex mutex_;  // guards in_flight_ and waiting_, from every IO thread
  std::size_t in_flight_ = 0;
  std::deque<std::shared_ptr<Waiter>> waiting_;  // oldest first
  double mean_hold_seconds_ = 0;  // how long a slot is held (moving average); 0: not measured yet
  obs::Collection metrics_;  // last: unregistered before the rest goes away
};

}  // namespace sluice::limits
