// The embedded job store: one SQLite file in WAL mode. One connection per process, guarded by
// one mutex; SQLite's file locks (with a busy timeout) arbitrate between processes.
#include "sqlite/sqlite.hpp"

#include "sluice/core/json_text.hpp"
#include "sluice/jobs/job_store.hpp"
#include "sluice/jobs/schedule.hpp"

#include <boost/json/parse.hpp>

#include <memory>
#include <mutex>
#include <unordered_map>

namespace sluice::jobs {

namespace {

constexpr std::string_view kSchema = R"sql(
CREATE TABLE IF NOT EXISTS jobs (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  id TEXT NOT NULL UNIQUE,
  type TEXT NOT NULL,
  payload TEXT NOT NULL,
  state TEXT NOT NULL,
  priority INTEGER NOT NULL,
  attempts INTEGER NOT NULL DEFAULT 0,
  max_attempts INTEGER NOT NULL,
  backoff_ms INTEGER NOT NULL,
  timeout_ms INTEGER NOT NULL,
  run_at INTEGER NOT NULL,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  started_at INTEGER NOT NULL DEFAULT 0,
  finished_at INTEGER NOT NULL DEFAULT 0,
  progress REAL NOT NULL DEFAULT 0,
  progress_message TEXT NOT NULL DEFAULT '',
  last_error TEXT NOT NULL DEFAULT '',
  result TEXT NOT NULL DEFAULT 'null',
  cancel_requested INTEGER NOT NULL DEFAULT 0,
  idempotency_key TEXT UNIQUE,
  worker TEXT NOT NULL DEFAULT '',
  lease_token TEXT NOT NULL DEFAULT '',
  lease_until INTEGER NOT NULL DEFAULT 0,
  owner TEXT NOT NULL DEFAULT ''
);
CREATE INDEX IF NOT EXISTS jobs_due ON jobs(state, priority DESC, seq) WHERE state IN ('queued', 'retrying');
CREATE INDEX IF NOT EXISTS jobs_leases ON jobs(lease_until) WHERE state = 'running';
CREATE TABLE IF NOT EXISTS schedules (
  name TEXT PRIMARY KEY,
  definition TEXT NOT NULL,
  paused INTEGER NOT NULL DEFAULT 0,
  last_tick INTEGER NOT NULL,
  last_run_at INTEGER NOT NULL DEFAULT 0,
  last_job_id TEXT NOT NULL DEFAULT ''
);
)sql";

/// Columns added after the first release: a file made before them gains them when opened
/// (ALTER TABLE ADD COLUMN is instant). deadline: when the running attempt times out (epoch ms;
/// 0: none); lease_ms: the lease the last claim took.
constexpr std::pair<std::string_view, std::string_view> kLaterColumns[] = {
    {"owner", "TEXT NOT NULL DEFAULT ''"},
    {"queue", "TEXT NOT NULL DEFAULT 'default'"},
    {"lease_ms", "INTEGER NOT NULL DEFAULT 0"},
    {"deadline", "INTEGER NOT NULL DEFAULT 0"},
};

/// Held: the token is the job's, it runs, and its attempt has not passed its deadline (timeout).
/// ?1 id, ?2 token, ?9 now.
constexpr std::string_view kHeld =
    "id = ?1 AND lease_token = ?2 AND state = 'running' AND (deadline = 0 OR deadline > ?9)";

constexpr std::string_view kColumns =
    "id, type, payload, state, priority, attempts, max_attempts, backoff_ms, timeout_ms, run_at, created_at, "
    "updated_at, started_at, finished_at, progress, progress_message, last_error, result, cancel_requested, "
    "coalesce(idempotency_key, ''), worker, owner, queue, lease_ms";

Job read_job(const sqlite::Statement& row) {
  Job job;
  job.id = row.text(0);
  job.type = row.text(1);
  job.payload = boost::json::parse(row.text(2));
  job.state = parse_job_state(row.text(3)).value_or(JobState::failed);
  job.priority = static_cast<int>(row.integer(4));
  job.attempts = static_cast<int>(row.integer(5));
  job.max_attempts = static_cast<int>(row.integer(6));
  job.backoff_ms = row.integer(7);
  job.timeout_ms = row.integer(8);
  job.run_at_ms = row.integer(9);
  job.created_at_ms = row.integer(10);
  job.updated_at_ms = row.integer(11);
  job.started_at_ms = row.integer(12);
  job.finished_at_ms = row.integer(13);
  job.progress = row.real(14);
  job.progress_message = row.text(15);
  job.last_error = row.text(16);
  job.result = boost::json::parse(row.text(17));
  job.is_cancel_requested = row.integer(18) != 0;
  job.idempotency_key = row.text(19);
  job.worker = row.text(20);
  job.owner = row.text(21);
  job.queue = row.text(22);
  job.lease_ms = row.integer(23);
  return job;
}

class SqliteStore final : public JobStore {
 public:
  explicit SqliteStore(const std::string& path) : db_(path) {
    db_.exec("PRAGMA journal_mode=WAL");
    // WAL + NORMAL: a commit survives a process crash (kill -9); only an OS crash or power loss
    // can lose the last transactions. That is the durability the job queue promises.
    db_.exec("PRAGMA synchronous=NORMAL");
    db_.exec(kSchema);
    add_later_columns();
  }

  std::vector<Job> enqueue_batch(std::vector<NewJob> jobs) override {
    std::lock_guard lock(mutex_);
    sqlite::Transaction tx(db_);
    std::vector<Job> out;
    out.reserve(jobs.size());
    for (auto& item : jobs) out.push_back(insert_job(item));
    tx.commit();
    return out;
  }

  ScheduleStore* schedules() override { return &schedules_; }

  std::optional<Job> get(const std::string& id) override {
    std::lock_guard lock(mutex_);
    sqlite::Statement query(db_.handle(), select_where("id = ?1"));
    query.bind(1, id);
    if (!query.step()) return std::nullopt;
    return read_job(query);
  }

  std::vector<Job> list(const JobFilter& filter) override {
    std::lock_guard lock(mutex_);
    sqlite::Statement query(db_.handle(), std::string("SELECT ") + std::string(kColumns) +
                                              " FROM jobs WHERE (?1 = '' OR state = ?1) AND (?2 = '' OR type = ?2) "
                                              "AND (?5 = 0 OR owner = ?6) ORDER BY seq DESC LIMIT ?3 OFFSET ?4");
    query.bind(1, filter.state ? to_string(*filter.state) : std::string_view{}).bind(2, filter.type);
    query.bind(3, static_cast<std::int64_t>(filter.limit)).bind(4, static_cast<std::int64_t>(filter.offset));
    query.bind(5, std::int64_t{filter.owner.has_value()}).bind(6, filter.owner.value_or(""));
    std::vector<Job> jobs;
    while (query.step()) jobs.push_back(read_job(query));
    return jobs;
  }

  std::vector<Claim> claim_batch(const std::string& worker, Millis lease, std::size_t max,
                                 const JobTypes& types, const JobQueues& queues) override {
    std::lock_guard lock(mutex_);
    sqlite::Transaction tx(db_);
    const auto now = now_ms();
    requeue_expired(now);
    auto& next = cached(select_where("state IN ('queued', 'retrying') AND run_at <= ?1 AND "
                                     "(?3 = '[]' OR type IN (SELECT value FROM json_each(?3))) AND "
                                     "(?4 = '[]' OR queue IN (SELECT value FROM json_each(?4)))") +
                        " ORDER BY priority DESC, seq LIMIT ?2");
    boost::json::array type_list(types.begin(), types.end());
    boost::json::array queue_list(queues.begin(), queues.end());
    next.bind(1, now).bind(2, static_cast<std::int64_t>(max)).bind(3, core::json_text(type_list));
    next.bind(4, core::json_text(queue_list));
    std::vector<Claim> claims;
    while (next.step()) claims.push_back({read_job(next), new_job_id()});
    next.reset();
    // The lease never outlasts the attempt's deadline (see JobStore::claim).
    auto& take = cached(
        "UPDATE jobs SET state = 'running', attempts = attempts + 1, worker = ?2, lease_token = ?3, "
        "lease_until = min(?4, ?6), lease_ms = ?7, deadline = ?6, "
        "started_at = CASE started_at WHEN 0 THEN ?5 ELSE started_at END, updated_at = ?5 WHERE id = ?1");
    for (auto& claim : claims) {
      Job& job = claim.job;
      job.state = JobState::running;
      job.attempts += 1;
      job.worker = worker;
      job.lease_ms = lease.count();
      if (job.started_at_ms == 0) job.started_at_ms = now;
      job.updated_at_ms = now;
      const auto deadline = now + std::max<std::int64_t>(1, job.timeout_ms);
      take.bind(1, job.id).bind(2, worker).bind(3, claim.token).bind(4, now + lease.count()).bind(5, now);
      take.bind(6, deadline).bind(7, lease.count()).run();
      take.reset();
    }
    tx.commit();
    return claims;
  }

  std::size_t complete_batch(const std::vector<std::pair<Claim, boost::json::value>>& done) override {
    std::lock_guard lock(mutex_);
    sqlite::Transaction tx(db_);
    auto& update = cached(
        "UPDATE jobs SET state = 'succeeded', progress = 1, result = ?3, finished_at = ?9, lease_token = '', "
        "updated_at = ?9 WHERE " + std::string(kHeld));
    std::size_t held = 0;
    const auto now = now_ms();
    for (const auto& [claim, result] : done) {
      update.bind(1, claim.job.id).bind(2, claim.token).bind(3, core::json_text(result)).bind(9, now);
      held += static_cast<std::size_t>(update.run());
      update.reset();
    }
    tx.commit();
    return held;
  }

  bool heartbeat(const Claim& claim, Millis lease, bool& cancel_requested) override {
    std::lock_guard lock(mutex_);
    const auto now = now_ms();
    auto& renew = cached("UPDATE jobs SET lease_until = CASE deadline WHEN 0 THEN ?3 ELSE min(?3, deadline) END, "
                         "updated_at = ?9 WHERE " + std::string(kHeld) + " RETURNING cancel_requested");
    renew.bind(1, claim.job.id).bind(2, claim.token).bind(3, now + lease.count()).bind(9, now);
    if (!renew.step()) return false;
    cancel_requested = renew.integer(0) != 0;
    renew.run();
    return true;
  }

  bool report_progress(const Claim& claim, double fraction, const std::string& message) override {
    return update_held(claim, "progress = ?3, progress_message = ?4", [&](sqlite::Statement& s) {
      s.bind(3, fraction).bind(4, message);
    });
  }

  bool complete(const Claim& claim, const boost::json::value& result) override {
    return update_held(claim, "state = 'succeeded', progress = 1, result = ?3, finished_at = ?4, lease_token = ''",
                       [&](sqlite::Statement& s) { s.bind(3, core::json_text(result)).bind(4, now_ms()); });
  }

  bool fail(const Claim& claim, const std::string& error, Millis retry_delay) override {
    const bool is_last = claim.job.attempts >= claim.job.max_attempts;
    const auto now = now_ms();
    if (is_last)
      return update_held(claim, "state = 'failed', last_error = ?3, finished_at = ?4, lease_token = ''",
                         [&](sqlite::Statement& s) { s.bind(3, error).bind(4, now); });
    return update_held(claim, "state = 'retrying', last_error = ?3, run_at = ?4, lease_token = ''",
                       [&](sqlite::Statement& s) { s.bind(3, error).bind(4, now + retry_delay.count()); });
  }

  bool mark_cancelled(const Claim& claim) override {
    return update_held(claim, "state = 'cancelled', finished_at = ?3, lease_token = ''",
                       [&](sqlite::Statement& s) { s.bind(3, now_ms()); });
  }

  CancelOutcome cancel(const std::string& id) override {
    std::lock_guard lock(mutex_);
    sqlite::Transaction tx(db_);
    sqlite::Statement query(db_.handle(), "SELECT state FROM jobs WHERE id = ?1");
    query.bind(1, id);
    if (!query.step()) return CancelOutcome::not_found;
    auto state = parse_job_state(query.text(0)).value_or(JobState::failed);
    query.reset();
    CancelOutcome outcome;
    if (is_terminal(state)) {
      outcome = CancelOutcome::already_finished;
    } else if (state == JobState::running) {
      sqlite::Statement request(db_.handle(), "UPDATE jobs SET cancel_requested = 1, updated_at = ?2 WHERE id = ?1");
      request.bind(1, id).bind(2, now_ms()).run();
      outcome = CancelOutcome::requested;
    } else {
      sqlite::Statement now_cancel(db_.handle(),
                                   "UPDATE jobs SET state = 'cancelled', cancel_requested = 1, finished_at = ?2, "
                                   "updated_at = ?2 WHERE id = ?1");
      now_cancel.bind(1, id).bind(2, now_ms()).run();
      outcome = CancelOutcome::cancelled;
    }
    tx.commit();
    return outcome;
  }

  std::vector<std::pair<JobState, std::size_t>> counts() override {
    std::lock_guard lock(mutex_);
    sqlite::Statement query(db_.handle(), "SELECT state, count(*) FROM jobs GROUP BY state");
    std::vector<std::pair<JobState, std::size_t>> out;
    while (query.step())
      if (auto state = parse_job_state(query.text(0)))
        out.emplace_back(*state, static_cast<std::size_t>(query.integer(1)));
    return out;
  }

  bool is_healthy() override {
    try {
      std::lock_guard lock(mutex_);
      sqlite::Statement ping(db_.handle(), "SELECT 1");
      return ping.step();
    } catch (const std::exception&) {
      return false;
    }
  }

 private:
  /// Stores one new job, or finds the one its idempotency key names; within a transaction.
  Job insert_job(NewJob& item) {
    const auto& options = item.options;
    if (!options.idempotency_key.empty()) {
      auto& existing = cached(select_where("idempotency_key = ?1"));
      existing.bind(1, options.idempotency_key);
      std::optional<Job> found;
      if (existing.step()) found = read_job(existing);
      existing.reset();
      if (found) return std::move(*found);
    }
    auto& insert = cached("INSERT INTO jobs (id, type, payload, state, priority, max_attempts, backoff_ms, "
                             "timeout_ms, run_at, created_at, updated_at, idempotency_key, owner, queue) "
                          "VALUES (?1, ?2, ?3, 'queued', ?4, ?5, ?6, ?7, ?8, ?9, ?9, ?10, ?11, ?12)");
    Job job = make_queued_job(std::move(item.type), std::move(item.payload), options, now_ms());
    insert.bind(1, job.id).bind(2, job.type).bind(3, core::json_text(job.payload));
    insert.bind(4, std::int64_t{job.priority}).bind(5, std::int64_t{job.max_attempts}).bind(6, job.backoff_ms);
    insert.bind(7, job.timeout_ms).bind(8, job.run_at_ms).bind(9, job.created_at_ms);
    if (job.idempotency_key.empty()) insert.bind_null(10);
    else insert.bind(10, job.idempotency_key);
    insert.bind(11, job.owner).bind(12, job.queue);
    insert.run();
    insert.reset();
    return job;
  }

  /// The schedules table, on the same connection as the jobs: a tick's claim and its job commit
  /// in one transaction, and SQLite's write lock orders the claims of every process on the file.
  class Schedules final : public ScheduleStore {
   public:
    explicit Schedules(SqliteStore& store) : store_(store) {}

    bool create(const Schedule& schedule) override {
      std::lock_guard lock(store_.mutex_);
      auto& insert = store_.cached(
          "INSERT INTO schedules (name, definition, last_tick) VALUES (?1, ?2, ?3) ON CONFLICT (name) DO NOTHING");
      insert.bind(1, schedule.name).bind(2, schedule.definition()).bind(3, schedule.created_at_ms);
      return insert.run() == 1;
    }

    std::optional<Schedule> get(const std::string& name) override {
      auto found = select("WHERE name = ?1", name);
      if (found.empty()) return std::nullopt;
      return std::move(found.front());
    }

    std::vector<Schedule> list() override { return select("ORDER BY name", {}); }

    bool set_paused(const std::string& name, bool is_paused, std::int64_t now) override {
      std::lock_guard lock(store_.mutex_);
      auto& update = store_.cached(
          "UPDATE schedules SET paused = ?2, last_tick = CASE WHEN ?2 = 0 AND paused = 1 THEN max(last_tick, ?3) "
          "ELSE last_tick END WHERE name = ?1");
      update.bind(1, name).bind(2, std::int64_t{is_paused}).bind(3, now);
      return update.run() == 1;
    }

    bool remove(const std::string& name) override {
      std::lock_guard lock(store_.mutex_);
      auto& del = store_.cached("DELETE FROM schedules WHERE name = ?1");
      del.bind(1, name);
      return del.run() == 1;
    }

    std::optional<std::string> fire(const std::string& name, std::int64_t tick, NewJob job) override {
      std::lock_guard lock(store_.mutex_);
      sqlite::Transaction tx(store_.db_);  // uncommitted (no claim): rolled back
      auto& claim = store_.cached(
          "UPDATE schedules SET last_tick = ?2, last_run_at = ?3 WHERE name = ?1 AND paused = 0 AND last_tick < ?2");
      claim.bind(1, name).bind(2, tick).bind(3, now_ms());
      if (claim.run() != 1) return std::nullopt;
      auto id = store_.insert_job(job).id;
      auto& record = store_.cached("UPDATE schedules SET last_job_id = ?2 WHERE name = ?1");
      record.bind(1, name).bind(2, id).run();
      tx.commit();
      return id;
    }

   private:
    std::vector<Schedule> select(std::string_view rest, const std::string& name) {
      std::lock_guard lock(store_.mutex_);
      auto& query = store_.cached("SELECT definition, paused, last_tick, last_run_at, last_job_id FROM schedules " +
                                  std::string(rest));
      if (!name.empty()) query.bind(1, name);
      std::vector<Schedule> out;
      while (query.step()) {
        auto schedule = Schedule::from_definition(query.text(0));
        schedule.is_paused = query.integer(1) != 0;
        schedule.last_tick_ms = query.integer(2);
        schedule.last_run_at_ms = query.integer(3);
        schedule.last_job_id = query.text(4);
        out.push_back(std::move(schedule));
      }
      query.reset();
      return out;
    }

    SqliteStore& store_;
  };

  void add_later_columns() {
    for (auto [name, type] : kLaterColumns) {
      sqlite::Statement column(db_.handle(), "SELECT 1 FROM pragma_table_info('jobs') WHERE name = ?1");
      column.bind(1, name);
      if (!column.step())
        db_.exec("ALTER TABLE jobs ADD COLUMN " + std::string(name) + " " + std::string(type));
    }
  }

  static std::string select_where(std::string_view condition) {
    return std::string("SELECT ") + std::string(kColumns) + " FROM jobs WHERE " + std::string(condition);
  }

  /// A running job whose lease ran out at its attempt's deadline timed out: another attempt
  /// after retry_delay()'s backoff (backoff · 2^(attempts-1) · jitter, at most 1 h), or a dead
  /// letter. One whose lease ran out before lost its worker: another attempt at once, or a dead
  /// letter.
  void requeue_expired(std::int64_t now) {
    auto& time_out = cached(
        "UPDATE jobs SET state = CASE WHEN attempts >= max_attempts THEN 'failed' ELSE 'retrying' END, "
        "last_error = 'timed out after ' || timeout_ms || ' ms', lease_token = '', updated_at = ?1, "
        "run_at = ?1 + CAST(min(backoff_ms * (1 << min(max(attempts - 1, 0), 30)) * ?2, 3600000) AS INTEGER), "
        "finished_at = CASE WHEN attempts >= max_attempts THEN ?1 ELSE 0 END "
        "WHERE state = 'running' AND lease_until < ?1 AND deadline > 0 AND lease_until >= deadline");
    time_out.bind(1, now).bind(2, backoff_jitter()).run();
    auto& retry = cached("UPDATE jobs SET state = CASE WHEN attempts >= max_attempts THEN 'failed' ELSE 'retrying' "
                            "END, last_error = 'lease expired: the worker stopped heartbeating', lease_token = '', "
                            "run_at = ?1, updated_at = ?1, finished_at = CASE WHEN attempts >= max_attempts THEN ?1 "
                            "ELSE 0 END WHERE state = 'running' AND lease_until < ?1");
    retry.bind(1, now).run();
  }

  /// Updates a job only while `claim` still holds it.
  template <class Bind>
  bool update_held(const Claim& claim, std::string_view assignments, Bind bind) {
    std::lock_guard lock(mutex_);
    const auto now = now_ms();
    sqlite::Statement update(db_.handle(), "UPDATE jobs SET " + std::string(assignments) +
                                               ", updated_at = " + std::to_string(now) + " WHERE " + std::string(kHeld));
    update.bind(1, claim.job.id).bind(2, claim.token).bind(9, now);
    bind(update);
    return update.run() == 1;
  }

  /// A statement prepared once per connection (parsing SQL cost more than running it), reset
  /// and unbound, ready to use.
  sqlite::Statement& cached(const std::string& sql) {
    auto it = statements_.find(sql);
    if (it == statements_.end()) it = statements_.emplace(sql, std::make_unique<sqlite::Statement>(db_.handle(), sql)).first;
    it->second->reset();
    return *it->second;
  }

  std::mutex mutex_;  // guards db_ and statements_: one statement at a time on this connection
  sqlite::Database db_;
  std::unordered_map<std::string, std::unique_ptr<sqlite::Statement>> statements_;
  Schedules schedules_{*this};
};

}  // namespace

std::shared_ptr<JobStore> open_sqlite_store(const std::string& path) { return std::make_shared<SqliteStore>(path); }

}  // namespace sluice::jobs
