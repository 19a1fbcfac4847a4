#include "job_routes.hpp"

#include "job_service.hpp"

#include "sluice/http/sse.hpp"

#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/describe/class.hpp>
#include <boost/json/serialize.hpp>

namespace sluice::app {

namespace asio = boost::asio;
namespace json = boost::json;
using namespace api;
using http::Response;
using jobs::Job;

struct DemoStarted {
  std::string status;
  std::string job_id;
};
BOOST_DESCRIBE_STRUCT(DemoStarted, (), (status, job_id))

namespace {

core::Error job_not_found() { return {404, "not_found", "Job not found", nullptr}; }

asio::awaitable<DemoStarted> start_demo(
    Query<"label", std::int64_t, 1> label,
    Query<"documents", Field<std::int64_t, Ge<1>, Le<std::int64_t{1'000'000'000}>>, 1000> documents,
    Header<"Idempotency-Key", std::optional<std::string>> idempotency_key, Depends<JobService> jobs) {
  auto options = jobs->defaults();
  options.idempotency_key = idempotency_key->value_or("");
  json::value payload{{"label", *label}, {"documents", **documents}};
  auto job = co_await jobs->call([&] { return jobs->queue().enqueue("demo", payload, options); });
  co_return DemoStarted{"started", job.id};
}

asio::awaitable<core::Result<json::value>> list_jobs(Query<"state", std::optional<std::string>> state,
                                                     Query<"type", std::string, Name("")> type,
                                                     Query<"limit", Field<std::size_t, Ge<1u>, Le<500u>>, 50u> limit,
                                                     Query<"offset", std::size_t, 0u> offset,
                                                     Depends<JobService> jobs) {
  jobs::JobFilter filter{.type = *type, .limit = **limit, .offset = *offset};
  if (*state) {
    filter.state = jobs::parse_job_state(**state);
    if (!filter.state)
      co_return core::validation_error(
          {{"enum", {"query", "state"},
            "Input should be 'queued', 'running', 'retrying', 'succeeded', 'failed' or 'cancelled'",
            json::string(**state)}});
  }
  auto list = co_await jobs->call([&] { return jobs->queue().store().list(filter); });
  json::array items;
  for (const auto& job : list) items.push_back(job.to_json());
  co_return json::value{{"jobs", std::move(items)}, {"limit", filter.limit}, {"offset", filter.offset}};
}

asio::awaitable<core::Result<json::value>> get_job(Path<"job_id", std::string> id, Depends<JobService> jobs) {
  auto job = co_await jobs->call([&] { return jobs->queue().store().get(*id); });
  if (!job) co_return job_not_found();
  co_return json::value(job->to_json());
}

asio::awaitable<Response> cancel_job(Path<"job_id", std::string> id, Depends<JobService> jobs) {
  auto outcome = co_await jobs->call([&] { return jobs->queue().store().cancel(*id); });
  switch (outcome) {
    case jobs::CancelOutcome::not_found:
      co_return Response::error(job_not_found());
    case jobs::CancelOutcome::already_finished:
      co_return Response::error({409, "job_finished", "The job has already finished", nullptr});
    case jobs::CancelOutcome::requested:
      co_return Response::json({{"id", *id}, {"state", "running"}, {"cancel_requested", true}},
                               http::Status::accepted);
    case jobs::CancelOutcome::cancelled:
      break;
  }
  co_return Response::json({{"id", *id}, {"state", "cancelled"}, {"cancel_requested", true}});
}

/// SSE: a "progress" event whenever the job changes, then a "done" event with its final state.
asio::awaitable<Response> job_events(Path<"job_id", std::string> id, Depends<JobService> jobs) {
  auto first = co_await jobs->call([&] { return jobs->queue().store().get(*id); });
  if (!first) co_return Response::error(job_not_found());
  auto service = jobs.value;
  auto job_id = *id;
  co_return Response::stream("text/event-stream", [service, job_id](http::StreamWriter& out) -> asio::awaitable<void> {
    asio::steady_timer timer(co_await asio::this_coro::executor);
    std::string last_sent;
    auto quiet_since = std::chrono::steady_clock::now();
    while (!out.is_closing()) {
      auto job = co_await service->call([&] { return service->queue().store().get(job_id); });
      if (!job) co_return;
      bool is_done = jobs::is_terminal(job->state);
      auto body = json::serialize(job->to_json());
      if (body != last_sent || is_done) {
        if (!co_await out.write(http::sse_event(body, is_done ? "done" : "progress"))) co_return;
        last_sent = std::move(body);
        quiet_since = std::chrono::steady_clock::now();
      } else if (std::chrono::steady_clock::now() - quiet_since > std::chrono::seconds(15)) {
        if (!co_await out.write(http::sse_keepalive)) co_return;
        quiet_since = std::chrono::steady_clock::now();
      }
      if (is_done) co_return;
      // Polling the store works the same for SQLite and for Redis shared by many machines.
      timer.expires_after(std::chrono::milliseconds(100));
      co_await timer.async_wait(asio::use_awaitable);
    }
  });
}

}  // namespace

void add_job_routes(App& app) {
  app.post("/jobs/demo", start_demo,
           {.summary = "Start a demo job",
            .description = "Enqueues a durable CPU-bound job hashing `documents` synthetic texts (a label below 1 "
                           "fails on purpose), to try progress, cancellation and retries. A repeated "
                           "Idempotency-Key returns the first job. Follow it at /jobs/{job_id} or "
                           "/jobs/{job_id}/events.",
            .tags = {"jobs"},
            .status_code = 202,
            .response_description = "Job accepted"});
  app.get("/jobs", list_jobs, {.summary = "List jobs", .description = "Newest first.", .tags = {"jobs"}});
  app.get("/jobs/{job_id}", get_job, {.summary = "Get a job", .tags = {"jobs"}});
  app.get("/jobs/{job_id}/events", job_events,
          {.summary = "Follow a job",
           .description = "Server-Sent Events: `progress` on every change, then `done` with the final state.",
           .tags = {"jobs"}});
  app.del("/jobs/{job_id}", cancel_job,
          {.summary = "Cancel a job",
           .description = "Queued jobs are cancelled at once (200); running ones are asked to stop (202).",
           .tags = {"jobs"}});
}

}  // namespace sluice::app
