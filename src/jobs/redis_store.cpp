// The shared job store: Redis, every operation one Lua script (redis_scripts.hpp). One
// connection per store, guarded by one mutex; a broken connection is re-opened and the
// command retried once, so workers ride out a Redis restart.
#include "redis_scripts.hpp"

#include "sluice/jobs/job_store.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <hiredis/hiredis.h>
#include <spdlog/spdlog.h>

#include <array>
#include <charconv>
#include <memory>
#include <mutex>
#include <stdexcept>

namespace sluice::jobs {

namespace {

struct ReplyDeleter {
  void operator()(redisReply* r) const { freeReplyObject(r); }
};
using Reply = std::unique_ptr<redisReply, ReplyDeleter>;

class RedisError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct Script {
  std::string body;
  std::string sha;
};

std::int64_t to_int(const std::string& text) {
  std::int64_t value = 0;
  std::from_chars(text.data(), text.data() + text.size(), value);
  return value;
}

Job job_from_fields(const redisReply* reply) {
  Job job;
  for (std::size_t i = 0; i + 1 < reply->elements; i += 2) {
    std::string_view name(reply->element[i]->str, reply->element[i]->len);
    std::string value(reply->element[i + 1]->str, reply->element[i + 1]->len);
    if (name == "id") job.id = std::move(value);
    else if (name == "type") job.type = std::move(value);
    else if (name == "payload") job.payload = boost::json::parse(value);
    else if (name == "state") job.state = parse_job_state(value).value_or(JobState::failed);
    else if (name == "priority") job.priority = static_cast<int>(to_int(value));
    else if (name == "attempts") job.attempts = static_cast<int>(to_int(value));
    else if (name == "max_attempts") job.max_attempts = static_cast<int>(to_int(value));
    else if (name == "backoff_ms") job.backoff_ms = to_int(value);
    else if (name == "timeout_ms") job.timeout_ms = to_int(value);
    else if (name == "run_at") job.run_at_ms = to_int(value);
    else if (name == "created_at") job.created_at_ms = to_int(value);
    else if (name == "updated_at") job.updated_at_ms = to_int(value);
    else if (name == "started_at") job.started_at_ms = to_int(value);
    else if (name == "finished_at") job.finished_at_ms = to_int(value);
    else if (name == "progress") job.progress = value.empty() ? 0 : std::stod(value);
    else if (name == "progress_message") job.progress_message = std::move(value);
    else if (name == "last_error") job.last_error = std::move(value);
    else if (name == "result") job.result = boost::json::parse(value.empty() ? "null" : value);
    else if (name == "cancel_requested") job.is_cancel_requested = value == "1";
    else if (name == "idempotency_key") job.idempotency_key = std::move(value);
    else if (name == "worker") job.worker = std::move(value);
  }
  return job;
}

class RedisStore final : public JobStore {
 public:
  RedisStore(std::string host, int port, int db, std::string prefix)
      : host_(std::move(host)), port_(port), db_(db), prefix_(std::move(prefix)) {
    for (auto* script : {&enqueue_, &claim_, &heartbeat_, &progress_, &finish_, &cancel_, &list_, &counts_})
      script->body = std::string(redis_scripts::kCommon);
    enqueue_.body += redis_scripts::kEnqueue;
    claim_.body += redis_scripts::kClaim;
    heartbeat_.body += redis_scripts::kHeartbeat;
    progress_.body += redis_scripts::kProgress;
    finish_.body += redis_scripts::kFinish;
    cancel_.body += redis_scripts::kCancel;
    list_.body += redis_scripts::kList;
    counts_.body += redis_scripts::kCounts;
    std::lock_guard lock(mutex_);
    connect();
  }

  ~RedisStore() override {
    if (context_) redisFree(context_);
  }

  std::vector<Job> enqueue_batch(std::vector<NewJob> jobs) override {
    std::vector<Job> out;
    std::vector<std::vector<std::string>> calls;
    const auto now = now_ms();
    for (auto& item : jobs) {
      const auto& options = item.options;
      // Returned as built here; the stored times come from the Redis server's clock.
      Job job = make_queued_job(std::move(item.type), std::move(item.payload), options, now);
      calls.push_back({job.id, job.type, boost::json::serialize(job.payload), std::to_string(job.priority),
                       std::to_string(job.max_attempts), std::to_string(job.backoff_ms),
                       std::to_string(job.timeout_ms), std::to_string(options.delay.count()), job.idempotency_key});
      out.push_back(std::move(job));
    }
    // Every script call is idempotent on the job id, so a batch cut by a reconnect can be resent.
    auto replies = pipeline(enqueue_, calls);
    for (std::size_t i = 0; i < out.size(); ++i) {
      const redisReply* reply = replies[i].get();
      bool is_new = reply->element[1]->integer == 1;
      if (!is_new) {
        auto existing = get(std::string(reply->element[0]->str, reply->element[0]->len));
        if (existing) out[i] = std::move(*existing);
      }
    }
    return out;
  }

  std::optional<Job> get(const std::string& id) override {
    auto reply = command({"HGETALL", prefix_ + "job:" + id});
    if (reply->elements == 0) return std::nullopt;
    return job_from_fields(reply.get());
  }

  std::vector<Job> list(const JobFilter& filter) override {
    auto reply = run(list_, {filter.state ? std::string(to_string(*filter.state)) : "", filter.type,
                             std::to_string(filter.limit), std::to_string(filter.offset)});
    std::vector<Job> jobs;
    for (std::size_t i = 0; i < reply->elements; ++i) jobs.push_back(job_from_fields(reply->element[i]));
    return jobs;
  }

  std::vector<Claim> claim_batch(const std::string& worker, Millis lease, std::size_t max) override {
    auto token = new_job_id();
    auto reply = run(claim_, {worker, std::to_string(lease.count()), token, std::to_string(max)});
    std::vector<Claim> claims;
    for (std::size_t i = 0; i < reply->elements; ++i)
      claims.push_back({job_from_fields(reply->element[i]), token + std::to_string(i + 1)});
    return claims;
  }

  std::size_t complete_batch(const std::vector<std::pair<Claim, boost::json::value>>& done) override {
    std::vector<std::vector<std::string>> calls;
    for (const auto& [claim, result] : done)
      calls.push_back({claim.job.id, claim.token, "succeeded", boost::json::serialize(result), "0"});
    std::size_t held = 0;
    for (const auto& reply : pipeline(finish_, calls)) held += reply->integer == 1 ? 1 : 0;
    return held;
  }

  bool heartbeat(const Claim& claim, Millis lease, bool& cancel_requested) override {
    auto reply = run(heartbeat_, {claim.job.id, claim.token, std::to_string(lease.count())});
    if (reply->integer < 0) return false;
    cancel_requested = reply->integer == 1;
    return true;
  }

  bool report_progress(const Claim& claim, double fraction, const std::string& message) override {
    return run(progress_, {claim.job.id, claim.token, std::to_string(fraction), message})->integer == 1;
  }

  bool complete(const Claim& claim, const boost::json::value& result) override {
    return finish(claim, "succeeded", boost::json::serialize(result), Millis{0});
  }
  bool fail(const Claim& claim, const std::string& error, Millis retry_delay) override {
    return finish(claim, "failed", error, retry_delay);
  }
  bool mark_cancelled(const Claim& claim) override { return finish(claim, "cancelled", "", Millis{0}); }

  CancelOutcome cancel(const std::string& id) override {
    auto reply = run(cancel_, {id});
    std::string_view outcome(reply->str, reply->len);
    if (outcome == "cancelled") return CancelOutcome::cancelled;
    if (outcome == "requested") return CancelOutcome::requested;
    if (outcome == "already_finished") return CancelOutcome::already_finished;
    return CancelOutcome::not_found;
  }

  std::vector<std::pair<JobState, std::size_t>> counts() override {
    auto reply = run(counts_, {});
    std::vector<std::pair<JobState, std::size_t>> out;
    for (std::size_t i = 0; i + 1 < reply->elements; i += 2)
      if (auto state = parse_job_state(std::string_view(reply->element[i]->str, reply->element[i]->len)))
        out.emplace_back(*state, static_cast<std::size_t>(reply->element[i + 1]->integer));
    return out;
  }

  bool is_healthy() override {
    try {
      auto reply = command({"PING"});
      return reply->type == REDIS_REPLY_STATUS;
    } catch (const std::exception&) {
      return false;
    }
  }

 private:
  bool finish(const Claim& claim, std::string_view outcome, const std::string& detail, Millis retry_delay) {
    return run(finish_, {claim.job.id, claim.token, std::string(outcome), detail,
                         std::to_string(retry_delay.count())})
               ->integer == 1;
  }

  void connect() {  // holds mutex_
    if (context_) redisFree(context_);
    timeval timeout{2, 0};
    context_ = redisConnectWithTimeout(host_.c_str(), port_, timeout);
    if (!context_ || context_->err) {
      std::string why = context_ ? context_->errstr : "out of memory";
      if (context_) redisFree(context_);
      context_ = nullptr;
      throw RedisError("cannot connect to Redis at " + host_ + ":" + std::to_string(port_) + ": " + why);
    }
    redisSetTimeout(context_, timeval{5, 0});
    if (db_ != 0) raw({"SELECT", std::to_string(db_)});
    for (auto* script : {&enqueue_, &claim_, &heartbeat_, &progress_, &finish_, &cancel_, &list_, &counts_}) {
      auto reply = raw({"SCRIPT", "LOAD", script->body});
      script->sha.assign(reply->str, reply->len);
    }
  }

  /// One command on the current connection; throws on a broken connection or an error reply.
  Reply raw(const std::vector<std::string>& args) {  // holds mutex_
    std::vector<const char*> argv;
    std::vector<std::size_t> lengths;
    for (const auto& a : args) {
      argv.push_back(a.data());
      lengths.push_back(a.size());
    }
    if (!context_) throw RedisError("not connected");
    Reply reply(static_cast<redisReply*>(
        redisCommandArgv(context_, static_cast<int>(argv.size()), argv.data(), lengths.data())));
    if (!reply) throw RedisError(std::string("Redis connection failed: ") + context_->errstr);
    if (reply->type == REDIS_REPLY_ERROR) throw std::runtime_error(std::string(reply->str, reply->len));
    return reply;
  }

  /// A command with one reconnect-and-retry when the connection broke (e.g. Redis restarted).
  Reply command(const std::vector<std::string>& args) {
    std::lock_guard lock(mutex_);
    try {
      if (!context_) connect();
      return raw(args);
    } catch (const RedisError& e) {
      spdlog::warn("redis: {}; reconnecting", e.what());
      connect();
      return raw(args);
    }
  }

  /// Sends one script call per entry of `calls` in one round trip (hiredis pipelining).
  std::vector<Reply> pipeline(Script& script, const std::vector<std::vector<std::string>>& calls) {
    std::lock_guard lock(mutex_);
    for (int attempt = 0;; ++attempt) {
      try {
        if (!context_) connect();
        for (const auto& call : calls) {
          std::vector<const char*> argv{"EVALSHA", script.sha.c_str(), "0", prefix_.c_str()};
          std::vector<std::size_t> lengths{7, script.sha.size(), 1, prefix_.size()};
          for (const auto& a : call) {
            argv.push_back(a.data());
            lengths.push_back(a.size());
          }
          redisAppendCommandArgv(context_, static_cast<int>(argv.size()), argv.data(), lengths.data());
        }
        std::vector<Reply> replies;
        for (std::size_t i = 0; i < calls.size(); ++i) {
          void* raw_reply = nullptr;
          if (redisGetReply(context_, &raw_reply) != REDIS_OK)
            throw RedisError(std::string("Redis connection failed: ") + context_->errstr);
          Reply reply(static_cast<redisReply*>(raw_reply));
          if (reply->type == REDIS_REPLY_ERROR) throw std::runtime_error(std::string(reply->str, reply->len));
          replies.push_back(std::move(reply));
        }
        return replies;
      } catch (const std::exception& e) {
        if (attempt > 0) throw;
        // Broken connection, or NOSCRIPT after a restart: reconnect (reloading scripts), resend.
        spdlog::warn("redis: {}; reconnecting", e.what());
        connect();
      }
    }
  }

  Reply run(Script& script, std::vector<std::string> args) {
    std::vector<std::string> full{"EVALSHA", "", "0", prefix_};
    full.insert(full.end(), std::make_move_iterator(args.begin()), std::make_move_iterator(args.end()));
    std::lock_guard lock(mutex_);
    for (int attempt = 0;; ++attempt) {
      try {
        if (!context_) connect();
        full[1] = script.sha;
        return raw(full);
      } catch (const RedisError& e) {
        if (attempt > 0) throw;
        spdlog::warn("redis: {}; reconnecting", e.what());
        connect();  // reloads the scripts too
      } catch (const std::runtime_error& e) {
        // NOSCRIPT: the server lost its script cache (restarted without us noticing).
        if (attempt > 0 || std::string_view(e.what()).find("NOSCRIPT") == std::string_view::npos) throw;
        connect();
      }
    }
  }

  std::string host_;
  int port_;
  int db_;
  std::string prefix_;
  std::mutex mutex_;  // guards context_ and the scripts' sha
  redisContext* context_ = nullptr;
  Script enqueue_, claim_, heartbeat_, progress_, finish_, cancel_, list_, counts_;
};

}  // namespace

std::shared_ptr<JobStore> open_redis_store(const std::string& url, const std::string& prefix) {
  // redis://host[:port][/db]
  std::string_view rest = url;
  if (rest.starts_with("redis://")) rest.remove_prefix(8);
  else throw std::invalid_argument("expected redis://host:port[/db], got " + url);
  int db = 0;
  if (auto slash = rest.find('/'); slash != std::string_view::npos) {
    auto db_text = rest.substr(slash + 1);
    std::from_chars(db_text.data(), db_text.data() + db_text.size(), db);
    rest = rest.substr(0, slash);
  }
  int port = 6379;
  if (auto colon = rest.rfind(':'); colon != std::string_view::npos) {
    auto port_text = rest.substr(colon + 1);
    std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
    rest = rest.substr(0, colon);
  }
  return std::make_shared<RedisStore>(std::string(rest.empty() ? "127.0.0.1" : rest), port, db, prefix);
}

}  // namespace sluice::jobs
