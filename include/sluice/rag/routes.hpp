#pragma once
// Datasets over HTTP as a route group a library user mounts in one call, on the rag::Datasets
// the app provides (a DI singleton) and a job queue for the indexing job:
//
//   app.services().add_singleton<rag::Datasets>(datasets);
//   rag::handle_indexing_jobs(*queue, [datasets] { return datasets; });
//   app.include(rag::routes({.queue = queue}));  // /datasets, .../documents, .../process, .../search, .../answer
//
// /answer generates with the app's ai::Generator (a DI singleton).

#include "sluice/api/ownership.hpp"
#include "sluice/api/route_group.hpp"
#include "sluice/jobs/job_queue.hpp"
#include "sluice/rag/datasets.hpp"

#include <cstdint>
#include <functional>
#include <memory>

namespace sluice::rag {

struct RouteOptions {
  std::shared_ptr<jobs::JobQueue> queue;  // where /process enqueues build_embeddings
  jobs::EnqueueOptions job_defaults;      // attempts, timeout, ... of that job
  /// Who sees which dataset (API keys); null: every caller sees every dataset.
  std::shared_ptr<const api::Ownership> ownership;
  /// POST /datasets/{dataset_id}/documents' body limit: uploads are larger than other bodies.
  std::uint64_t upload_limit = 512ull * 1024 * 1024;
  api::RouteGroupOptions group = {.prefix = "/datasets", .tags = {"datasets"}};
};

/// POST/GET "", GET/DELETE /{dataset_id}, POST/GET /{dataset_id}/documents, GET/DELETE
/// /{dataset_id}/documents/{document_id}, POST /{dataset_id}/process, /search and /answer.
/// Store work runs on the compute pool; a dataset another key owns answers 404 as a missing one.
api::RouteGroup routes(RouteOptions options);

/// Runs build_embeddings jobs from `queue` on the datasets `datasets` gives (looked up when a
/// job runs, so they may be built at start-up, after this call).
void handle_indexing_jobs(jobs::JobQueue& queue, std::function<std::shared_ptr<Datasets>()> datasets);

}  // namespace sluice::rag
