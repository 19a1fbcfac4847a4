#include "sluice/ai/circuit_breaker.hpp"

namespace sluice::ai {

bool CircuitBreaker::allow() {
  std::lock_guard lock(mutex_);
  switch (state_) {
    case State::closed:
      return true;
    case State::open:
      if (Clock::now() - opened_at_ < cool_down_) return false;
      state_ = State::half_open;
      is_trial_running_ = true;
      return true;
    case State::half_open:
      if (is_trial_running_) return false;
      is_trial_running_ = true;
      return true;
  }
  return false;
}

void CircuitBreaker::on_success() {
  std::lock_guard lock(mutex_);
  state_ = State::closed;
  failures_ = 0;
  is_trial_running_ = false;
}

void CircuitBreaker::on_failure() {
  std::lock_guard lock(mutex_);
  is_trial_running_ = false;
  if (state_ == State::half_open || ++failures_ >= threshold_) {
    state_ = State::open;
    opened_at_ = Clock::now();
  }
}

CircuitBreaker::State CircuitBreaker::state() const {
  std::lock_guard lock(mutex_);
  return state_;
}

}  // namespace sluice::ai
