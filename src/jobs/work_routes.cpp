// jobs::work_routes: enqueue any job type over HTTP, and the lease protocol of workers over HTTP.

#include "sluice/jobs/work_routes.hpp"

#include "sluice/api/bind.hpp"
#include "sluice/api/constraints.hpp"
#include "sluice/api/params.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/describe/class.hpp>

#include <algorithm>
#include <chrono>
#include <optional>

namespace sluice::jobs {

namespace asio = boost::asio;
namespace json = boost::json;
using namespace api;
using http::Request;
using http::Response;

// Every body refuses fields it does not know (422 extra_forbidden naming the field): a worker
// that sends a field this server does not implement must hear so, not have it ignored.

struct NewJobBody {
  Field<std::string, MinLength<1>, MaxLength<200>> type;
  std::optional<json::value> payload;
  Field<std::string, MinLength<1>, MaxLength<200>, WithDefault> queue = std::string("default");
  std::optional<Field<std::int64_t, Ge<-1000>, Le<1000>>> priority;
  std::optional<Field<std::int64_t, Ge<0>, Le<std::int64_t{31'536'000'000}>>> delay_ms;
  std::optional<Field<std::int64_t, Ge<1>, Le<100>>> max_attempts;
  std::optional<Field<std::int64_t, Ge<1>, Le<std::int64_t{604'800'000}>>> timeout_ms;
  std::optional<Field<std::string, MinLength<1>, MaxLength<200>>> unique_key;  // a repeat returns the first job
  static constexpr bool forbid_extra_fields = true;
};
BOOST_DESCRIBE_STRUCT(NewJobBody, (),
                      (type, payload, queue, priority, delay_ms, max_attempts, timeout_ms, unique_key))

/// The most jobs one POST /jobs/batch takes: a few hundred KB of body, one store write.
constexpr std::size_t kMaxBatch = 1000;

struct NewJobsBody {
  Field<std::vector<NewJobBody>, MinLength<1>, MaxLength<kMaxBatch>> jobs;
  static constexpr bool forbid_extra_fields = true;
};
BOOST_DESCRIBE_STRUCT(NewJobsBody, (), (jobs))

struct ClaimBody {
  Field<std::vector<std::string>, MinLength<1>, MaxLength<50>> types;
  std::optional<Field<std::vector<std::string>, MinLength<1>, MaxLength<50>>> queues;  // absent: every queue
  Field<std::int64_t, Ge<1>, Le<100>, WithDefault> max = 1;
  Field<std::int64_t, Ge<1000>, Le<3'600'000>, WithDefault> lease_ms = 30'000;
  Field<std::int64_t, Ge<0>, Le<30'000>, WithDefault> wait_ms = 0;
  std::optional<Field<std::string, MaxLength<200>>> worker;  // shown in the job record
  static constexpr bool forbid_extra_fields = true;
};
BOOST_DESCRIBE_STRUCT(ClaimBody, (), (types, queues, max, lease_ms, wait_ms, worker))

struct HeartbeatBody {
  Field<std::string, MinLength<1>, MaxLength<200>> lease_token;
  // Absent: the length the job was claimed with.
  std::optional<Field<std::int64_t, Ge<1000>, Le<3'600'000>>> lease_ms;
  std::optional<Field<double, Ge<0>, Le<1>>> progress;
  std::optional<Field<std::string, MaxLength<2000>>> message;
  static constexpr bool forbid_extra_fields = true;
};
BOOST_DESCRIBE_STRUCT(HeartbeatBody, (), (lease_token, lease_ms, progress, message))

struct CompleteBody {
  Field<std::string, MinLength<1>, MaxLength<200>> lease_token;
  std::optional<json::value> result;
  static constexpr bool forbid_extra_fields = true;
};
BOOST_DESCRIBE_STRUCT(CompleteBody, (), (lease_token, result))

struct Completion {
  Field<std::string, MinLength<1>, MaxLength<200>> id;
  Field<std::string, MinLength<1>, MaxLength<200>> lease_token;
  std::optional<json::value> result;
  static constexpr bool forbid_extra_fields = true;
};
BOOST_DESCRIBE_STRUCT(Completion, (), (id, lease_token, result))

struct CompletionsBody {
  Field<std::vector<Completion>, MinLength<1>, MaxLength<kMaxBatch>> jobs;
  static constexpr bool forbid_extra_fields = true;
};
BOOST_DESCRIBE_STRUCT(CompletionsBody, (), (jobs))

struct FailBody {
  Field<std::string, MinLength<1>, MaxLength<200>> lease_token;
  Field<std::string, MaxLength<10'000>, WithDefault> error = std::string("failed");
  Field<bool, WithDefault> retry = true;       // false: failed for good, whatever attempts remain
  Field<bool, WithDefault> cancelled = false;  // the worker stopped because cancellation was asked
  // Absent: the job's backoff, doubled per attempt with jitter (retry_delay), as in-process.
  std::optional<Field<std::int64_t, Ge<0>, Le<std::int64_t{86'400'000}>>> retry_delay_ms;
  static constexpr bool forbid_extra_fields = true;
};
BOOST_DESCRIBE_STRUCT(FailBody, (), (lease_token, error, retry, cancelled, retry_delay_ms))

namespace {

using JobId = Path<"job_id", Field<std::string, MinLength<1>, MaxLength<200>>>;

/// What every handler shares: the options; and which types this process runs itself (asked
/// per request: groups mounted later register theirs before the server starts, none after).
struct Context {
  WorkRouteOptions options;
  bool is_reserved(const std::string& type) const { return options.queue->handler(type) != nullptr; }
};

core::FieldIssue reserved_type_issue(const std::string& type, json::array loc) {
  return {"reserved_type", std::move(loc), "'" + type + "' jobs are run by the server itself; start them through its routes",
          json::string(type)};
}

core::Error reserved_type(const std::string& type, json::array loc) {
  return core::validation_error({reserved_type_issue(type, std::move(loc))});
}

core::Error lease_lost() {
  return {409, "lease_lost", "The lease token is not the job's: it expired and the job went to another worker, the "
                             "attempt ran past the job's timeout_ms, or the job is no longer running", nullptr};
}

core::Error may_not_work() {
  return {403, "forbidden", "Claiming and finishing jobs needs an admin API key (--dataset-admin-keys)", nullptr};
}

json::object claimed_json(const Claim& claim, std::int64_t lease_ms) {
  return {{"id", claim.job.id},
          {"type", claim.job.type},
          {"payload", claim.job.payload},
          {"attempt", claim.job.attempts},
          {"max_attempts", claim.job.max_attempts},
          {"queue", claim.job.queue},
          {"timeout_ms", claim.job.timeout_ms},
          {"lease_token", claim.token},
          {"lease_ms", lease_ms}};
}

/// The job a validated body asks for: the server's defaults, overridden where it says.
NewJob new_job(const Context& context, const NewJobBody& spec, const Request& request) {
  auto options = context.options.job_defaults;
  options.queue = *spec.queue;
  if (spec.priority) options.priority = static_cast<int>(**spec.priority);
  if (spec.delay_ms) options.delay = Millis(**spec.delay_ms);
  if (spec.max_attempts) options.max_attempts = static_cast<int>(**spec.max_attempts);
  if (spec.timeout_ms) options.timeout = Millis(**spec.timeout_ms);
  if (spec.unique_key) options.idempotency_key = **spec.unique_key;
  if (context.options.owner) options.owner = context.options.owner(request);
  return {*spec.type, spec.payload.value_or(json::object()), std::move(options)};
}

asio::awaitable<Response> enqueue(const Context& context, Body<NewJobBody> body, Request& request) {
  const auto& spec = body.value;
  if (context.is_reserved(*spec.type)) co_return Response::error(reserved_type(*spec.type, json::array{"body", "type"}));
  auto job = new_job(context, spec, request);
  auto stored = co_await context.options.queue->submit(std::move(job.type), std::move(job.payload), std::move(job.options));
  co_return Response::json(stored.to_json(), http::Status::created);
}

/// All or nothing: every element is validated (the binder did the shapes) before any is stored.
asio::awaitable<Response> enqueue_batch(const Context& context, Body<NewJobsBody> body, Request& request) {
  const auto& specs = *body->jobs;
  std::vector<core::FieldIssue> issues;
  std::vector<NewJob> jobs;
  jobs.reserve(specs.size());
  for (std::size_t i = 0; i < specs.size(); ++i) {
    if (context.is_reserved(*specs[i].type))
      issues.push_back(reserved_type_issue(*specs[i].type, json::array{"body", "jobs", static_cast<std::int64_t>(i), "type"}));
    jobs.push_back(new_job(context, specs[i], request));
  }
  if (!issues.empty()) co_return Response::error(core::validation_error(issues));
  auto stored = co_await context.options.queue->submit_all(std::move(jobs));
  json::array out;
  out.reserve(stored.size());
  for (const auto& job : stored) out.push_back(job.to_json());
  co_return Response::json(json::object{{"jobs", std::move(out)}}, http::Status::created);
}

asio::awaitable<Response> claim(const Context& context, Body<ClaimBody> body, Request& request) {
  if (context.options.may_work && !context.options.may_work(request)) co_return Response::error(may_not_work());
  const auto& spec = body.value;
  for (std::size_t i = 0; i < spec.types->size(); ++i)
    if (context.is_reserved((*spec.types)[i]))
      co_return Response::error(reserved_type((*spec.types)[i], json::array{"body", "types", static_cast<std::int64_t>(i)}));
  const JobTypes types = *spec.types;
  const JobQueues queues = spec.queues ? **spec.queues : JobQueues();
  const auto lease = Millis(*spec.lease_ms);
  const auto max = static_cast<std::size_t>(*spec.max);
  const std::string worker = spec.worker ? **spec.worker : "http:" + std::string(request.client_host());
  // Long-poll: claim, and while nothing is due, look again every few milliseconds until
  // wait_ms has passed. Each look is one indexed query on the storage threads; the wait
  // itself holds no thread.
  constexpr auto kPoll = std::chrono::milliseconds(5);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(*spec.wait_ms);
  asio::steady_timer timer(co_await asio::this_coro::executor);
  std::vector<Claim> claims;
  for (;;) {
    claims = co_await context.options.queue->on_storage(
        [&](JobStore& store) { return store.claim_batch(worker, lease, max, types, queues); });
    const auto now = std::chrono::steady_clock::now();
    if (!claims.empty() || now >= deadline) break;
    timer.expires_after(std::min<std::chrono::steady_clock::duration>(kPoll, deadline - now));
    auto [ec] = co_await timer.async_wait(asio::as_tuple(asio::use_awaitable));
    if (ec) break;  // cancelled: the client left
  }
  json::array jobs;
  for (const auto& held : claims) jobs.push_back(claimed_json(held, *spec.lease_ms));
  co_return Response::json({{"jobs", std::move(jobs)}});
}

/// The job `id` as its lease holder `token` would hold it (its attempts for fail's retry
/// rule; the store checks the token), for a caller that may work jobs: else 403, or 404.
asio::awaitable<core::Result<Claim>> held(const Context& context, Request& request, const std::string& id,
                                          const std::string& token) {
  if (context.options.may_work && !context.options.may_work(request)) co_return may_not_work();
  auto job = co_await context.options.queue->find(id);
  if (!job) co_return core::Error{404, "not_found", "Job not found", nullptr};
  co_return Claim{std::move(*job), token};
}

asio::awaitable<Response> heartbeat(const Context& context, JobId id, Body<HeartbeatBody> body, Request& request) {
  auto claim = co_await held(context, request, *id.value, *body->lease_token);
  if (!claim) co_return Response::error(claim.error());
  // Renewed by what it was claimed with unless told otherwise (30 s: a job claimed before
  // stores kept the length).
  const std::int64_t lease_ms = body->lease_ms ? **body->lease_ms : (claim->job.lease_ms > 0 ? claim->job.lease_ms : 30'000);
  const auto lease = Millis(lease_ms);
  std::optional<double> progress;
  if (body->progress) progress = **body->progress;
  std::string message = body->message ? **body->message : std::string();
  auto outcome = co_await context.options.queue->on_storage([&](JobStore& store) -> std::optional<bool> {
    bool cancel_requested = false;
    if (!store.heartbeat(*claim, lease, cancel_requested)) return std::nullopt;
    if (progress && !store.report_progress(*claim, *progress, message)) return std::nullopt;
    return cancel_requested;
  });
  if (!outcome) co_return Response::error(lease_lost());
  co_return Response::json({{"cancel_requested", *outcome}, {"lease_ms", lease_ms}});
}

asio::awaitable<Response> complete(const Context& context, JobId id, Body<CompleteBody> body, Request& request) {
  auto claim = co_await held(context, request, *id.value, *body->lease_token);
  if (!claim) co_return Response::error(claim.error());
  const auto result = body->result.value_or(nullptr);
  bool is_held = co_await context.options.queue->on_storage([&](JobStore& store) { return store.complete(*claim, result); });
  if (!is_held) co_return Response::error(lease_lost());
  auto job = co_await context.options.queue->find(*id.value);
  co_return Response::json(job ? job->to_json() : json::object{{"id", *id.value}});
}

/// Many completions in one store write: a worker running small jobs reports them together, as
/// in-process workers do (Workers::flush), instead of paying a request per job.
asio::awaitable<Response> complete_all(const Context& context, Body<CompletionsBody> body, Request& request) {
  if (context.options.may_work && !context.options.may_work(request)) co_return Response::error(may_not_work());
  std::vector<std::pair<Claim, json::value>> done;
  done.reserve(body->jobs->size());
  for (const auto& item : *body->jobs) {
    Claim claim;
    claim.job.id = *item.id;
    claim.token = *item.lease_token;
    done.emplace_back(std::move(claim), item.result.value_or(nullptr));
  }
  const std::size_t total = done.size();
  std::size_t held = co_await context.options.queue->on_storage([&](JobStore& store) { return store.complete_batch(done); });
  const auto completed = static_cast<std::int64_t>(held);
  const auto lost = static_cast<std::int64_t>(total - held);
  co_return Response::json(json::object{{"completed", completed}, {"lease_lost", lost}});
}

asio::awaitable<Response> fail(const Context& context, JobId id, Body<FailBody> body, Request& request) {
  auto claim = co_await held(context, request, *id.value, *body->lease_token);
  if (!claim) co_return Response::error(claim.error());
  // No retry: the store fails a job for good on its last attempt, so this is its last.
  if (!*body->retry) claim->job.attempts = std::max(claim->job.attempts, claim->job.max_attempts);
  const auto delay = body->retry_delay_ms ? Millis(**body->retry_delay_ms) : retry_delay(claim->job);
  const std::string error = *body->error;
  const bool is_cancelled = *body->cancelled;
  bool is_held = co_await context.options.queue->on_storage([&](JobStore& store) {
    return is_cancelled ? store.mark_cancelled(*claim) : store.fail(*claim, error, delay);
  });
  if (!is_held) co_return Response::error(lease_lost());
  auto job = co_await context.options.queue->find(*id.value);
  co_return Response::json(job ? job->to_json() : json::object{{"id", *id.value}});
}

}  // namespace

api::RouteGroup work_routes(WorkRouteOptions options) {
  auto context = std::make_shared<const Context>(Context{options});
  api::RouteGroup group(options.group);
  group.post(
      "", [context](Body<NewJobBody> body, Request& request) { return enqueue(*context, std::move(body), request); },
      {.summary = "Enqueue a job",
       .description = "Any job type a worker over HTTP (or in another process) runs: the payload is stored as "
                      "given. unique_key: a repeat returns the first job. The job belongs to the caller's API key. "
                      "Many at once: POST /jobs/batch.",
       .status_code = 201,
       .response_description = "Job enqueued"});
  group.post(
      "/batch",
      [context](Body<NewJobsBody> body, Request& request) { return enqueue_batch(*context, std::move(body), request); },
      {.summary = "Enqueue up to 1,000 jobs at once",
       .description = "`jobs`: each the body of POST /jobs. All are validated before any is stored (a 422 names "
                      "the element, e.g. body.jobs.3.type); then all are stored in one write (one transaction, or "
                      "one pipelined Redis round trip). 201 with the jobs, in order.",
       .status_code = 201,
       .response_description = "Jobs enqueued"});
  group.post(
      "/claim", [context](Body<ClaimBody> body, Request& request) { return claim(*context, std::move(body), request); },
      {.summary = "Claim jobs (workers)",
       .description = "Up to `max` due jobs of `types` (from `queues`; absent: every queue), each leased for "
                      "lease_ms with its own lease_token; waits up to wait_ms for one to be due (long-poll). A "
                      "lease not renewed by a heartbeat expires, and the job goes to another worker; an attempt "
                      "past the job's timeout_ms fails (retried with backoff). `worker` names the claimer in the "
                      "job record."});
  group.post(
      "/{job_id}/heartbeat",
      [context](JobId id, Body<HeartbeatBody> body, Request& request) {
        return heartbeat(*context, std::move(id), std::move(body), request);
      },
      {.summary = "Renew a job's lease (workers)",
       .description = "Extends the lease by lease_ms (absent: the length claimed with), never past the "
                      "attempt's timeout, and records progress; answers whether cancellation was asked. 409 "
                      "lease_lost when the token is no longer the job's or the attempt timed out."});
  group.post(
      "/{job_id}/complete",
      [context](JobId id, Body<CompleteBody> body, Request& request) {
        return complete(*context, std::move(id), std::move(body), request);
      },
      {.summary = "Complete a job (workers)", .description = "Records its result once; 409 lease_lost for a stale token."});
  group.post(
      "/complete",
      [context](Body<CompletionsBody> body, Request& request) { return complete_all(*context, std::move(body), request); },
      {.summary = "Complete up to 1,000 jobs at once (workers)",
       .description = "`jobs`: [{id, lease_token, result}], recorded in one store write, each fenced by its token "
                      "as in /{job_id}/complete. Answers how many were completed and how many leases were lost "
                      "(those jobs are another worker's now)."});
  group.post(
      "/{job_id}/fail",
      [context](JobId id, Body<FailBody> body, Request& request) {
        return fail(*context, std::move(id), std::move(body), request);
      },
      {.summary = "Fail a job's attempt (workers)",
       .description = "Retried after retry_delay_ms (absent: the job's backoff, doubled per attempt, ±50% "
                      "jitter) while attempts remain (retry: false fails it for good); "
                      "cancelled: true records that the worker stopped on a cancellation request."});
  return group;
}

}  // namespace sluice::jobs
