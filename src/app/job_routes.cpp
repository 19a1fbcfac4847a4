#include "job_routes.hpp"

#include "job_service.hpp"

#include "sluice/jobs/routes.hpp"

#include <boost/describe/class.hpp>

namespace sluice::app {

namespace asio = boost::asio;
namespace json = boost::json;
using namespace api;

struct ProcessingStarted {
  std::string status;
  std::string job_id;
};
BOOST_DESCRIBE_STRUCT(ProcessingStarted, (), (status, job_id))

namespace {

asio::awaitable<ProcessingStarted> process_dataset(
    Path<"dataset_id", std::int64_t> dataset_id,
    Query<"documents", Field<std::int64_t, Ge<1>, Le<std::int64_t{1'000'000'000}>>, 1000> documents,
    Header<"Idempotency-Key", std::optional<std::string>> idempotency_key, Depends<JobService> jobs) {
  auto options = jobs->defaults();
  options.idempotency_key = idempotency_key->value_or("");
  json::value payload{{"dataset_id", *dataset_id}, {"documents", **documents}};
  auto job = co_await jobs->queue().submit("build_embeddings", std::move(payload), std::move(options));
  co_return ProcessingStarted{"processing started", job.id};
}

}  // namespace

void add_job_routes(App& app, std::shared_ptr<jobs::JobQueue> queue) {
  app.post("/datasets/{dataset_id}/process", process_dataset,
           {.summary = "Process a dataset",
            .description = "Enqueues a durable build_embeddings job and answers at once. A repeated Idempotency-Key "
                           "returns the first job. Follow it at /jobs/{job_id} or /jobs/{job_id}/events.",
            .tags = {"datasets"},
            .status_code = 202,
            .response_description = "Job accepted"});
  app.include(jobs::routes(std::move(queue)));  // the library's group: GET /jobs, ...
}

}  // namespace sluice::app
