#include "job_routes.hpp"

#include "access.hpp"
#include "job_service.hpp"

#include "sluice/jobs/routes.hpp"

#include <boost/describe/class.hpp>

namespace sluice::app {

namespace asio = boost::asio;
namespace json = boost::json;
using namespace api;

struct DemoStarted {
  std::string status;
  std::string job_id;
};
BOOST_DESCRIBE_STRUCT(DemoStarted, (), (status, job_id))

namespace {

asio::awaitable<DemoStarted> start_demo(
    Query<"label", std::int64_t, 1> label,
    Query<"documents", Field<std::int64_t, Ge<1>, Le<std::int64_t{1'000'000'000}>>, 1000> documents,
    Header<"Idempotency-Key", std::optional<std::string>> idempotency_key, Depends<JobService> jobs,
    Depends<Access> access, http::Request& request) {
  auto options = jobs->defaults();
  options.idempotency_key = idempotency_key->value_or("");
  options.owner = access->owner(request);
  json::value payload{{"label", *label}, {"documents", **documents}};
  auto job = co_await jobs->queue().submit("demo", std::move(payload), std::move(options));
  co_return DemoStarted{"started", job.id};
}

}  // namespace

void add_job_routes(App& app, std::shared_ptr<jobs::JobQueue> queue, std::shared_ptr<const Access> access) {
  app.post("/jobs/demo", start_demo,
           {.summary = "Start a demo job",
            .description = "Enqueues a durable CPU-bound job hashing `documents` synthetic texts (a label below 1 "
                           "fails on purpose), to try progress, cancellation and retries. A repeated "
                           "Idempotency-Key returns the first job. Follow it at /jobs/{job_id} or "
                           "/jobs/{job_id}/events.",
            .tags = {"jobs"},
            .status_code = 202,
            .response_description = "Job accepted"});
  // The library's group: GET /jobs, ...
  app.include(jobs::routes(std::move(queue), {.prefix = "/jobs", .tags = {"jobs"}},
                           [access](const http::Request& request) { return access->job_viewer(request); }));
}

}  // namespace sluice::app
