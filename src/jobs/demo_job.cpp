#include "sluice/jobs/demo.hpp"

#include "sluice/api/bind.hpp"
#include "sluice/api/constraints.hpp"
#include "sluice/api/params.hpp"

#include <boost/describe/class.hpp>

#include <spdlog/spdlog.h>

#include <algorithm>
#include <stdexcept>
#include <string>

namespace sluice::jobs {

boost::json::value demo_work(std::int64_t label, std::int64_t documents, JobContext& job) {
  if (label < 1) throw std::invalid_argument("label " + std::to_string(label) + " is below 1");
  std::uint64_t buckets[64] = {};
  constexpr std::int64_t kChunk = 1000;
  for (std::int64_t start = 0; start < documents; start += kChunk) {
    job.throw_if_cancelled();
    for (std::int64_t document = start; document < std::min(documents, start + kChunk); ++document) {
      std::string text = "demo " + std::to_string(label) + " document " + std::to_string(document);
      std::uint64_t hash = 1469598103934665603ull;  // FNV-1a
      for (unsigned char c : text) hash = (hash ^ c) * 1099511628211ull;
      buckets[hash % 64] += 1;
    }
    job.progress(static_cast<double>(std::min(documents, start + kChunk)) / static_cast<double>(documents),
                 std::to_string(std::min(documents, start + kChunk)) + "/" + std::to_string(documents) + " documents");
  }
  auto used = std::count_if(std::begin(buckets), std::end(buckets), [](auto n) { return n > 0; });
  spdlog::info("demo({}) finished: {} documents in {} buckets", label, documents, used);
  return {{"label", label}, {"documents", documents}, {"buckets_used", used}};
}

void handle_demo_jobs(JobQueue& queue) {
  queue.handle("demo", [](JobContext& job) -> boost::json::value {
    const auto& payload = job.payload().as_object();
    return demo_work(payload.at("label").to_number<std::int64_t>(),
                     payload.contains("documents") ? payload.at("documents").to_number<std::int64_t>() : 1000, job);
  });
}

struct DemoStarted {
  std::string status;
  std::string job_id;
};
BOOST_DESCRIBE_STRUCT(DemoStarted, (), (status, job_id))

api::RouteGroup demo_routes(DemoRouteOptions options) {
  using namespace api;
  auto shared = std::make_shared<const DemoRouteOptions>(options);
  api::RouteGroup group(options.group);
  group.post(
      "/demo",
      [shared](Query<"label", std::int64_t, 1> label,
               Query<"documents", Field<std::int64_t, Ge<1>, Le<std::int64_t{1'000'000'000}>>, 1000> documents,
               Header<"Idempotency-Key", std::optional<std::string>> idempotency_key,
               http::Request& request) -> boost::asio::awaitable<DemoStarted> {
        auto enqueue = shared->job_defaults;
        enqueue.idempotency_key = idempotency_key->value_or("");
        if (shared->owner) enqueue.owner = shared->owner(request);
        boost::json::value payload{{"label", *label}, {"documents", **documents}};
        auto job = co_await shared->queue->submit("demo", std::move(payload), std::move(enqueue));
        co_return DemoStarted{"started", job.id};
      },
      {.summary = "Start a demo job",
       .description = "Enqueues a durable CPU-bound job hashing `documents` synthetic texts (a label below 1 "
                      "fails on purpose), to try progress, cancellation and retries. A repeated "
                      "Idempotency-Key returns the first job. Follow it at /jobs/{job_id} or "
                      "/jobs/{job_id}/events.",
       .status_code = 202,
       .response_description = "Job accepted"});
  return group;
}

}  // namespace sluice::jobs
