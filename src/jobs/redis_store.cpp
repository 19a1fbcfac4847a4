// The shared job store: Redis, every operation one Lua script (redis_scripts.hpp), over the
// library's async client (client::RedisClient: AUTH and database from the URL, pipelining,
// retries while Redis restarts). Handlers await it on their own event loop (AsyncJobStore);
// workers' blocking calls run on the store's own event-loop thread and wait for the reply.
#include "redis_schedule_scripts.hpp"
#include "redis_scripts.hpp"

#include "sluice/client/redis_client.hpp"
#include "sluice/core/json_text.hpp"
#include "sluice/jobs/job_store.hpp"
#include "sluice/jobs/schedule.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>
#include <boost/json/parse.hpp>

#include <charconv>
#include <future>
#include <stdexcept>
#include <thread>
#include <unordered_map>

namespace sluice::jobs {

namespace {

namespace asio = boost::asio;
using client::RedisReply;
using client::RedisScript;

/// Per call, retries included: long enough to ride out a Redis restart, which workers would
/// otherwise see as a failed write (they retry those too: Workers::settle).
constexpr std::chrono::milliseconds kCallTimeout{5'000};
/// /ready must answer quickly, whatever Redis does.
constexpr std::chrono::milliseconds kPingTimeout{1'000};

std::int64_t to_int(const std::string& text) {
  std::int64_t value = 0;
  std::from_chars(text.data(), text.data() + text.size(), value);
  return value;
}

Job job_from_fields(const RedisReply& reply) {
  Job job;
  for (std::size_t i = 0; i + 1 < reply.elements.size(); i += 2) {
    const std::string& name = reply.elements[i].text;
    std::string value = reply.elements[i + 1].text;
    if (name == "id")
      job.id = std::move(value);
    else if (name == "type")
      job.type = std::move(value);
    else if (name == "payload")
      job.payload = boost::json::parse(value);
    else if (name == "state")
      job.state = parse_job_state(value).value_or(JobState::failed);
    else if (name == "priority")
      job.priority = static_cast<int>(to_int(value));
    else if (name == "attempts")
      job.attempts = static_cast<int>(to_int(value));
    else if (name == "max_attempts")
      job.max_attempts = static_cast<int>(to_int(value));
    else if (name == "backoff_ms")
      job.backoff_ms = to_int(value);
    else if (name == "timeout_ms")
      job.timeout_ms = to_int(value);
    else if (name == "run_at")
      job.run_at_ms = to_int(value);
    else if (name == "created_at")
      job.created_at_ms = to_int(value);
    else if (name == "updated_at")
      job.updated_at_ms = to_int(value);
    else if (name == "started_at")
      job.started_at_ms = to_int(value);
    else if (name == "finished_at")
      job.finished_at_ms = to_int(value);
    else if (name == "progress")
      job.progress = value.empty() ? 0 : std::stod(value);
    else if (name == "progress_message")
      job.progress_message = std::move(value);
    else if (name == "last_error")
      job.last_error = std::move(value);
    else if (name == "result")
      job.result = boost::json::parse(value.empty() ? "null" : value);
    else if (name == "cancel_requested")
      job.is_cancel_requested = value == "1";
    else if (name == "idempotency_key")
      job.idempotency_key = std::move(value);
    else if (name == "worker")
      job.worker = std::move(value);
    else if (name == "owner")
      job.owner = std::move(value);
    else if (name == "queue")
      job.queue = std::move(value);
    else if (name == "lease_ms")
      job.lease_ms = to_int(value);
  }
  return job;
}

std::vector<Job> jobs_from(const RedisReply& reply) {
  std::vector<Job> jobs;
  for (const auto& fields : reply.elements) jobs.push_back(job_from_fields(fields));
  return jobs;
}

CancelOutcome cancel_outcome(const RedisReply& reply) {
  if (reply.text == "cancelled") return CancelOutcome::cancelled;
  if (reply.text == "requested") return CancelOutcome::requested;
  if (reply.text == "already_finished") return CancelOutcome::already_finished;
  return CancelOutcome::not_found;
}

std::vector<std::pair<JobState, std::size_t>> counts_from(const RedisReply& reply) {
  std::vector<std::pair<JobState, std::size_t>> out;
  for (std::size_t i = 0; i + 1 < reply.elements.size(); i += 2)
    if (auto state = parse_job_state(reply.elements[i].text))
      out.emplace_back(*state, static_cast<std::size_t>(reply.elements[i + 1].integer));
  return out;
}

/// One per line, as the claim script reads its filters; empty: any.
std::string lines_of(const std::vector<std::string>& items) {
  std::string lines;
  for (const auto& item : items) lines += item + "\n";
  return lines;
}

RedisScript script(const char* body) { return RedisScript(std::string(redis_scripts::kCommon) + body); }
/// A script that may enqueue as kEnqueue does, by calling enqueue() with its ARGV[2..12].
RedisScript script_with_enqueue(const char* body) {
  return RedisScript(std::string(redis_scripts::kCommon) + "local function enqueue()\n" + redis_scripts::kEnqueue +
                     "\nend\n" + body);
}

Schedule schedule_from_fields(const RedisReply& reply) {
  std::unordered_map<std::string, std::string> fields;
  for (std::size_t i = 0; i + 1 < reply.elements.size(); i += 2)
    fields[reply.elements[i].text] = reply.elements[i + 1].text;
  auto schedule = Schedule::from_definition(fields["definition"]);
  schedule.is_paused = fields["paused"] == "1";
  schedule.last_tick_ms = to_int(fields["last_tick"]);
  schedule.last_run_at_ms = to_int(fields["last_run_at"]);
  schedule.last_job_id = fields["last_job_id"];
  return schedule;
}

/// A claim token sent without an answer, to repeat on this thread's next claim.
struct UnfinishedClaim {
  const void* store = nullptr;
  std::string token;
};

class RedisStore final : public JobStore {
 public:
  RedisStore(std::shared_ptr<client::RedisClient> redis, std::string prefix)
      : redis_(std::move(redis)), prefix_(std::move(prefix)), thread_([this] { loop_.run(); }) {}

  ~RedisStore() override {
    // Calls in flight were made by threads that are gone or waiting for us: stop the loop and
    // let its destruction drop its connection.
    work_.reset();
    loop_.stop();
    thread_.join();
  }

  AsyncJobStore* async() override { return &async_; }
  ScheduleStore* schedules() override { return &schedules_; }

  // Blocking calls (workers) -----------------------------------------------------------------

  std::vector<Job> enqueue_batch(std::vector<NewJob> jobs) override {
    std::vector<Job> out;
    std::vector<std::future<RedisReply>> replies;
    const auto now = now_ms();
    for (auto& item : jobs) {
      const auto& options = item.options;
      // Returned as built here; the stored times come from the Redis server's clock.
      Job job = make_queued_job(std::move(item.type), std::move(item.payload), options, now);
      // Sent together: they share one write on the loop's pipelined connection. Each is
      // idempotent on the job id, so one resent after a reconnect stores nothing twice.
      replies.push_back(start(
          enqueue_, {job.id, job.type, core::json_text(job.payload), std::to_string(job.priority),
                     std::to_string(job.max_attempts), std::to_string(job.backoff_ms), std::to_string(job.timeout_ms),
                     std::to_string(options.delay.count()), job.idempotency_key, job.owner, job.queue}));
      out.push_back(std::move(job));
    }
    for (std::size_t i = 0; i < out.size(); ++i) {
      auto reply = replies[i].get();
      bool is_new = reply.elements.at(1).integer == 1;
      if (!is_new)
        if (auto existing = wait(get_async(reply.elements.at(0).text))) out[i] = std::move(*existing);
    }
    return out;
  }

  std::optional<Job> get(const std::string& id) override { return wait(get_async(id)); }
  std::vector<Job> list(const JobFilter& filter) override { return jobs_from(wait(call(list_, list_args(filter)))); }

  std::vector<Claim> claim_batch(const std::string& worker, Millis lease, std::size_t max,
                                 const JobTypes& types, const JobQueues& queues) override {
    // The worker's own token: if the reply is lost and the call repeated (by the client's
    // retries, or by this thread's next claim after a failure), the script hands back what it
    // leased under this token instead of leasing more jobs to nobody.
    thread_local UnfinishedClaim unfinished;
    if (unfinished.store != this) unfinished = {this, new_job_id()};
    const auto token = unfinished.token;
    auto reply = wait(call(claim_, {worker, std::to_string(lease.count()), token, std::to_string(max),
                                    lines_of(types), lines_of(queues), std::to_string(backoff_jitter())}));
    unfinished = {};  // answered: the next claim leases anew
    std::vector<Claim> claims;
    for (std::size_t i = 0; i < reply.elements.size(); ++i)
      claims.push_back({job_from_fields(reply.elements[i]), token + std::to_string(i + 1)});
    return claims;
  }

  std::size_t complete_batch(const std::vector<std::pair<Claim, boost::json::value>>& done) override {
    std::vector<std::future<RedisReply>> replies;
    for (const auto& [claim, result] : done)
      replies.push_back(start(finish_, {claim.job.id, claim.token, "succeeded", core::json_text(result), "0"}));
    std::size_t held = 0;
    for (auto& reply : replies) held += reply.get().integer == 1 ? 1 : 0;
    return held;
  }

  bool heartbeat(const Claim& claim, Millis lease, bool& cancel_requested) override {
    auto reply = wait(call(heartbeat_, {claim.job.id, claim.token, std::to_string(lease.count())}));
    if (reply.integer < 0) return false;
    cancel_requested = reply.integer == 1;
    return true;
  }

  bool report_progress(const Claim& claim, double fraction, const std::string& message) override {
    return wait(call(progress_, {claim.job.id, claim.token, std::to_string(fraction), message})).integer == 1;
  }

  bool complete(const Claim& claim, const boost::json::value& result) override {
    return finish(claim, "succeeded", core::json_text(result), Millis{0});
  }
  bool fail(const Claim& claim, const std::string& error, Millis retry_delay) override {
    return finish(claim, "failed", error, retry_delay);
  }
  bool mark_cancelled(const Claim& claim) override { return finish(claim, "cancelled", "", Millis{0}); }

  CancelOutcome cancel(const std::string& id) override { return cancel_outcome(wait(call(cancel_, {id}))); }
  std::vector<std::pair<JobState, std::size_t>> counts() override { return counts_from(wait(call(counts_, {}))); }
  bool is_healthy() override { return wait(is_healthy_async()); }

 private:
  class Schedules final : public ScheduleStore {
   public:
    explicit Schedules(RedisStore& store) : store_(store) {}
    bool create(const Schedule& schedule) override {
      return store_.wait(store_.call(store_.schedule_create_, {schedule.name, schedule.definition(),
                                                               std::to_string(schedule.created_at_ms)}))
                 .integer == 1;
    }
    std::optional<Schedule> get(const std::string& name) override {
      if (name.empty()) return std::nullopt;  // '' reads every schedule
      auto found = read(name);
      if (found.empty()) return std::nullopt;
      return std::move(found.front());
    }
    std::vector<Schedule> list() override { return read(""); }
    bool set_paused(const std::string& name, bool is_paused, std::int64_t now) override {
      return store_.wait(store_.call(store_.schedule_pause_, {name, is_paused ? "1" : "0", std::to_string(now)}))
                 .integer == 1;
    }
    bool remove(const std::string& name) override {
      return store_.wait(store_.call(store_.schedule_remove_, {name})).integer == 1;
    }
    std::optional<std::string> fire(const std::string& name, std::int64_t tick, NewJob item) override {
      const auto& options = item.options;
      Job job = make_queued_job(std::move(item.type), std::move(item.payload), options, now_ms());
      auto reply = store_.wait(store_.call(
          store_.schedule_fire_,
          {job.id, job.type, core::json_text(job.payload), std::to_string(job.priority),
           std::to_string(job.max_attempts), std::to_string(job.backoff_ms), std::to_string(job.timeout_ms),
           std::to_string(options.delay.count()), job.idempotency_key, job.owner, job.queue, name,
           std::to_string(tick)}));
      if (reply.text.empty()) return std::nullopt;
      return reply.text;
    }

   private:
    std::vector<Schedule> read(const std::string& name) {
      auto reply = store_.wait(store_.call(store_.schedule_read_, {name}));
      std::vector<Schedule> out;
      for (const auto& fields : reply.elements) out.push_back(schedule_from_fields(fields));
      return out;
    }
    RedisStore& store_;
  };

  /// The awaitable calls (IO threads), made on the caller's loop.
  class Async final : public AsyncJobStore {
   public:
    explicit Async(RedisStore& store) : store_(store) {}
    asio::awaitable<std::optional<Job>> get(std::string id) override { return store_.get_async(std::move(id)); }
    asio::awaitable<std::vector<Job>> list(JobFilter filter) override {
      co_return jobs_from(co_await store_.call(store_.list_, list_args(filter)));
    }
    asio::awaitable<CancelOutcome> cancel(std::string id) override {
      std::vector<std::string> args;  // no braced list: GCC 12 rejects them inside coroutines
      args.push_back(std::move(id));
      co_return cancel_outcome(co_await store_.call(store_.cancel_, std::move(args)));
    }
    asio::awaitable<std::vector<std::pair<JobState, std::size_t>>> counts() override {
      co_return counts_from(co_await store_.call(store_.counts_, std::vector<std::string>()));
    }
    asio::awaitable<bool> is_healthy() override { return store_.is_healthy_async(); }

   private:
    RedisStore& store_;
  };

  asio::awaitable<std::optional<Job>> get_async(std::string id) {
    std::vector<std::string> args;
    args.push_back("HGETALL");
    args.push_back(prefix_ + "job:" + id);
    auto reply = co_await redis_->command(std::move(args), kCallTimeout);
    if (!reply) throw std::runtime_error(reply.error().message);
    if (reply->elements.empty()) co_return std::nullopt;
    co_return job_from_fields(*reply);
  }

  asio::awaitable<bool> is_healthy_async() {
    std::vector<std::string> args;
    args.push_back("PING");
    auto reply = co_await redis_->command(std::move(args), kPingTimeout);
    co_return reply && reply->type == RedisReply::Type::status;
  }

  /// One script call; a failure (after the client's retries) is thrown, as the interface says.
  asio::awaitable<RedisReply> call(const RedisScript& script, std::vector<std::string> args) {
    std::vector<std::string> argv;
    argv.reserve(args.size() + 1);
    argv.push_back(prefix_);
    argv.insert(argv.end(), std::make_move_iterator(args.begin()), std::make_move_iterator(args.end()));
    std::vector<std::string> keys;  // the scripts build their keys from the prefix
    auto reply = co_await redis_->eval(script, std::move(keys), std::move(argv), kCallTimeout);
    if (!reply) throw std::runtime_error(reply.error().message);
    co_return std::move(*reply);
  }

  static std::vector<std::string> list_args(const JobFilter& filter) {
    return {filter.state ? std::string(to_string(*filter.state)) : "", filter.type, std::to_string(filter.limit),
            std::to_string(filter.offset), filter.owner ? "1" : "0", filter.owner.value_or("")};
  }

  /// Starts a script call on the store's loop; calls started together share a write.
  std::future<RedisReply> start(const RedisScript& script, std::vector<std::string> args) {
    return asio::co_spawn(loop_, call(script, std::move(args)), asio::use_future);
  }
  /// Runs `work` on the store's loop and blocks this (worker) thread until it is done.
  template <class T>
  T wait(asio::awaitable<T> work) {
    return asio::co_spawn(loop_, std::move(work), asio::use_future).get();
  }

  bool finish(const Claim& claim, std::string_view outcome, const std::string& detail, Millis retry_delay) {
    return wait(call(finish_,
                     {claim.job.id, claim.token, std::string(outcome), detail, std::to_string(retry_delay.count())}))
               .integer == 1;
  }

  std::shared_ptr<client::RedisClient> redis_;
  std::string prefix_;
  Async async_{*this};
  const RedisScript enqueue_ = script(redis_scripts::kEnqueue);
  const RedisScript claim_ = script(redis_scripts::kClaim);
  const RedisScript heartbeat_ = script(redis_scripts::kHeartbeat);
  const RedisScript progress_ = script(redis_scripts::kProgress);
  const RedisScript finish_ = script(redis_scripts::kFinish);
  const RedisScript cancel_ = script(redis_scripts::kCancel);
  const RedisScript list_ = script(redis_scripts::kList);
  const RedisScript counts_ = script(redis_scripts::kCounts);
  const RedisScript schedule_create_ = script(redis_scripts::kScheduleCreate);
  const RedisScript schedule_read_ = script(redis_scripts::kScheduleRead);
  const RedisScript schedule_pause_ = script(redis_scripts::kSchedulePause);
  const RedisScript schedule_remove_ = script(redis_scripts::kScheduleRemove);
  const RedisScript schedule_fire_ = script_with_enqueue(redis_scripts::kScheduleFire);
  Schedules schedules_{*this};
  asio::io_context loop_{1};  // one thread: RedisClient's per-loop connections need that
  asio::executor_work_guard<asio::io_context::executor_type> work_{loop_.get_executor()};
  std::thread thread_;  // last: starts once everything it uses exists
};

}  // namespace

std::shared_ptr<JobStore> open_redis_store(std::shared_ptr<client::RedisClient> redis, const std::string& prefix) {
  return std::make_shared<RedisStore>(std::move(redis), prefix);
}

std::shared_ptr<JobStore> open_redis_store(const std::string& url, const std::string& prefix) {
  return open_redis_store(std::make_shared<client::RedisClient>(client::RedisOptions{.url = url}), prefix);
}

}  // namespace sluice::jobs
