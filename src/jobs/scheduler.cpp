#include "sluice/jobs/scheduler.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <spdlog/spdlog.h>

#include <deque>
#include <stdexcept>

namespace sluice::jobs {

namespace asio = boost::asio;

namespace {
/// A cron schedule that missed more than this many ticks (a minutely one down for over a
/// year) is looked at from the last of them only: walking every tick would stall the loop.
constexpr int kMaxTicksWalked = 600'000;
}  // namespace

std::vector<std::int64_t> due_ticks(const Schedule& schedule, std::int64_t now_ms) {
  const std::size_t keep = schedule.misfire == Misfire::catch_up ? kMaxCatchUp : 1;
  std::deque<std::int64_t> due;  // the latest `keep` ticks found so far
  if (schedule.every_ms > 0) {
    auto first = schedule.next_tick(schedule.last_tick_ms);
    if (!first || *first > now_ms) return {};
    const auto latest = schedule.created_at_ms + (now_ms - schedule.created_at_ms) / schedule.every_ms * schedule.every_ms;
    const auto count = (latest - *first) / schedule.every_ms + 1;
    for (auto i = std::max<std::int64_t>(0, count - static_cast<std::int64_t>(keep)); i < count; ++i)
      due.push_back(*first + i * schedule.every_ms);
    return {due.begin(), due.end()};
  }
  auto tick = schedule.next_tick(schedule.last_tick_ms);
  for (int walked = 0; tick && *tick <= now_ms && walked < kMaxTicksWalked; ++walked) {
    due.push_back(*tick);
    if (due.size() > keep) due.pop_front();
    tick = schedule.next_tick(*tick);
  }
  return {due.begin(), due.end()};
}

Scheduler::Scheduler(std::shared_ptr<JobQueue> queue, SchedulerOptions options)
    : queue_(std::move(queue)), options_(options) {
  if (!queue_->store().schedules()) throw std::invalid_argument("this job store keeps no schedules");
}

Scheduler::~Scheduler() { stop(); }

std::size_t Scheduler::fire_due(JobQueue& queue, std::int64_t now_ms, std::atomic<std::uint64_t>& fired_so_far) {
  auto& schedules = *queue.store().schedules();
  std::size_t fired = 0;
  for (const auto& schedule : schedules.list()) {
    if (schedule.is_paused) continue;
    for (auto tick : due_ticks(schedule, now_ms))
      if (schedules.fire(schedule.name, tick, schedule.job_for(tick))) ++fired;
  }
  if (fired > 0) {
    fired_so_far += fired;
    queue.notify();  // local workers start at once, as after any enqueue
  }
  return fired;
}

void Scheduler::start() {
  if (thread_.joinable()) return;
  asio::co_spawn(
      loop_,
      [this]() -> asio::awaitable<void> {
        asio::steady_timer timer(loop_);
        for (;;) {
          try {
            // Named, not a temporary in the co_await: GCC 12 destroys such temporaries twice.
            auto pass = [queue = queue_, fired = fired_](JobStore&) { return fire_due(*queue, now_ms(), *fired); };
            co_await queue_->on_storage(pass);
          } catch (const std::exception& e) {
            // The store is unreachable (Redis restarting, a locked disk): the ticks stay due and
            // the next pass fires them, within each schedule's misfire policy.
            spdlog::warn("schedules: {}", e.what());
          }
          timer.expires_after(options_.resolution);
          auto [ec] = co_await timer.async_wait(asio::as_tuple(asio::use_awaitable));
          if (ec) co_return;
        }
      },
      asio::detached);
  thread_ = std::thread([this] { loop_.run(); });
}

void Scheduler::stop() {
  work_.reset();
  loop_.stop();  // a pass in flight finishes on its storage thread; its result is dropped
  if (thread_.joinable()) thread_.join();
}

}  // namespace sluice::jobs
