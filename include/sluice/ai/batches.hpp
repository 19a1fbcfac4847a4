#pragma once
// OpenAI's Files and Batches API as a route group a library user mounts in one call, on
// Sluice's durable jobs: uploads live in the data directory (or PostgreSQL), and each batch is the
// `openai_batch` job, run through the same model services as the online /v1 routes (in the
// serving process or in `sluice worker` processes sharing the data directory and job store):
//
//   app.services().add_singleton<ai::Embedder>(embedder);
//   app.services().add_singleton<ai::Generator>(generator);
//   app.include(ai::openai::batch_routes({.data_dir = "data"}, queue, app.services()));

#include "sluice/ai/embedder.hpp"
#include "sluice/ai/generator.hpp"
#include "sluice/ai/openai_routes.hpp"
#include "sluice/api/ownership.hpp"
#include "sluice/api/route_group.hpp"
#include "sluice/jobs/job.hpp"

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

namespace sluice::di {
class Container;
}
namespace sluice::jobs {
class JobQueue;
}
namespace sluice::postgres {
class Database;
}

namespace sluice::ai::openai {

struct BatchOptions {
  std::string data_dir = "data";                      // uploads (files/) and their index (openai.db) live under it
  /// Files, batches and their results in PostgreSQL instead (several nodes and workers share
  /// them); null: the data directory.
  std::shared_ptr<postgres::Database> database;
  std::uint64_t file_size_limit = 200 * 1024 * 1024;  // per uploaded file; larger → 413
  // A full embedding batch per compute slot or so; the lines queue behind interactive requests.
  std::size_t concurrency = 64;  // requests of one batch in flight at once
  RequestLimits limits;          // what one line may ask for, as the online routes have it
  /// Retries and backoff of the batch jobs; their timeout, idempotency key and owner are set
  /// per batch (the 24-hour completion window, the batch id, the uploader).
  jobs::EnqueueOptions job_defaults;
  /// Who owns which file and batch (API keys); null: every caller sees everything.
  std::shared_ptr<const api::Ownership> ownership;
  api::RouteGroupOptions group = {.prefix = "/v1", .tags = {"openai"}};
};

/// POST/GET /files, GET/DELETE /files/{file_id}, GET /files/{file_id}/content, POST/GET
/// /batches, GET /batches/{batch_id}, POST /batches/{batch_id}/cancel, under /v1, in OpenAI's
/// shapes. Registers the `openai_batch` job on `queue` (call before its workers start; the
/// models are looked up in `services` when a batch first runs) and, in `services`, what the
/// handlers share. With `options.ownership`, files and batches belong to the API key that
/// created them.
api::RouteGroup batch_routes(const BatchOptions& options, std::shared_ptr<jobs::JobQueue> queue,
                             di::Container& services);

/// For processes that run batches without serving them (`sluice worker`): registers the
/// `openai_batch` job on `queue` with these models; no routes.
void register_batch_job(jobs::JobQueue& queue, const BatchOptions& options, std::shared_ptr<Embedder> embedder,
                        std::shared_ptr<Generator> generator);

}  // namespace sluice::ai::openai
