#pragma once
// A circuit breaker for calls to one upstream.

#include <chrono>
#include <cstddef>
#include <mutex>

namespace sluice::ai {

/// Closed: calls pass. After `failure_threshold` consecutive failures it opens: calls fail at
/// once (no load on an upstream that is down, no waiting for its timeouts). After `cool_down`
/// it lets one trial call through (half-open); its success closes the breaker, its failure
/// opens it for another cool-down. Thread-safe (one mutex).
class CircuitBreaker {
 public:
  enum class State { closed, open, half_open };
  using Clock = std::chrono::steady_clock;

  CircuitBreaker(std::size_t failure_threshold, std::chrono::milliseconds cool_down)
      : threshold_(failure_threshold == 0 ? 1 : failure_threshold), cool_down_(cool_down) {}

  /// Whether a call may go upstream now; in half-open state only one caller gets true.
  bool allow();
  void on_success();
  void on_failure();
  State state() const;

 private:
  std::size_t threshold_;
  std::chrono::milliseconds cool_down_;
  mutable std::mutex mutex_;  // guards the fields below
  State state_ = State::closed;
  std::size_t failures_ = 0;
  Clock::time_point opened_at_{};
  bool is_trial_running_ = false;
};

}  // namespace sluice::ai
