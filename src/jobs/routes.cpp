#include "sluice/jobs/routes.hpp"

#include "sluice/core/json_text.hpp"
#include "sluice/http/sse.hpp"

#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace sluice::jobs {

namespace asio = boost::asio;
namespace json = boost::json;
using namespace api;
using http::Response;

namespace {

core::Error job_not_found() { return {404, "not_found", "Job not found", nullptr}; }

/// SSE: a "progress" event whenever the job changes, then a "done" event with its final state.
Response follow(std::shared_ptr<JobQueue> queue, std::string job_id) {
  return Response::stream("text/event-stream", [queue, job_id](http::StreamWriter& out) -> asio::awaitable<void> {
    asio::steady_timer timer(co_await asio::this_coro::executor);
    std::string last_sent;
    auto quiet_since = std::chrono::steady_clock::now();
    while (!out.is_closing()) {
      auto job = co_await queue->find(job_id);
      if (!job) co_return;
      bool is_done = is_terminal(job->state);
      auto body = core::json_text(job->to_json());
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

/// The job, when it exists and `request` may see it.
asio::awaitable<std::optional<Job>> find_visible(JobQueue& queue, const JobViewer& viewer, std::string id,
                                                 const http::Request& request) {
  auto job = co_await queue.find(std::move(id));
  if (job && viewer) {
    auto owner = viewer(request);
    if (owner && job->owner != *owner) job.reset();  // someone else's: as if absent
  }
  co_return job;
}

}  // namespace

RouteGroup routes(std::shared_ptr<JobQueue> queue, RouteGroupOptions options, JobViewer viewer) {
  RouteGroup group(std::move(options));
  group.get("",
            [queue, viewer](Query<"state", std::optional<std::string>> state,
                            Query<"type", std::string, Name("")> type,
                            Query<"limit", Field<std::size_t, Ge<1u>, Le<500u>>, 50u> limit,
                            Query<"offset", std::size_t, 0u> offset,
                            http::Request& request) -> asio::awaitable<core::Result<json::value>> {
              JobFilter filter{.type = *type, .limit = **limit, .offset = *offset};
              if (viewer) filter.owner = viewer(request);
              if (*state) {
                filter.state = parse_job_state(**state);
                if (!filter.state)
                  co_return core::validation_error(
                      {{"enum",
                        {"query", "state"},
                        "Input should be 'queued', 'running', 'retrying', 'succeeded', 'failed' or 'cancelled'",
                        json::string(**state)}});
              }
              auto list = co_await queue->list(filter);
              json::array items;
              for (const auto& job : list) items.push_back(job.to_json());
              co_return json::value{{"jobs", std::move(items)}, {"limit", filter.limit}, {"offset", filter.offset}};
            },
            {.summary = "List jobs", .description = "Newest first."});
  group.get("/{job_id}",
            [queue, viewer](Path<"job_id", std::string> id,
                            http::Request& request) -> asio::awaitable<core::Result<json::value>> {
              auto job = co_await find_visible(*queue, viewer, *id, request);
              if (!job) co_return job_not_found();
              co_return json::value(job->to_json());
            },
            {.summary = "Get a job"});
  group.get("/{job_id}/events",
            [queue, viewer](Path<"job_id", std::string> id, http::Request& request) -> asio::awaitable<Response> {
              auto first = co_await find_visible(*queue, viewer, *id, request);
              if (!first) co_return Response::error(job_not_found());
              co_return follow(queue, *id);
            },
            {.summary = "Follow a job",
             .description = "Server-Sent Events: `progress` on every change, then `done` with the final state."});
  group.del("/{job_id}",
            [queue, viewer](Path<"job_id", std::string> id, http::Request& request) -> asio::awaitable<Response> {
              if (!co_await find_visible(*queue, viewer, *id, request)) co_return Response::error(job_not_found());
              auto outcome = co_await queue->cancel(*id);
              switch (outcome) {
                case CancelOutcome::not_found:
                  co_return Response::error(job_not_found());
                case CancelOutcome::already_finished:
                  co_return Response::error({409, "job_finished", "The job has already finished", nullptr});
                case CancelOutcome::requested:
                  co_return Response::json({{"id", *id}, {"state", "running"}, {"cancel_requested", true}},
                                           http::Status::accepted);
                case CancelOutcome::cancelled:
                  break;
              }
              co_return Response::json({{"id", *id}, {"state", "cancelled"}, {"cancel_requested", true}});
            },
            {.summary = "Cancel a job",
             .description = "Queued jobs are cancelled at once (200); running ones are asked to stop (202)."});
  return group;
}

}  // namespace sluice::jobs
