#pragma once
// The durable job behind /v1/batches: validates the input file, runs its lines through the
// model services (openai::execute, as the online routes do), appends each result to the output
// or error file, and finalises the batch. Checkpointed by the output files themselves: after a
// crash the job runs again, reads back which custom_ids already have a result, and runs only
// the others, so every custom_id ends with exactly one line.

#include "batch_store.hpp"
#include "file_store.hpp"

#include "sluice/ai/embedder.hpp"
#include "sluice/ai/generator.hpp"
#include "sluice/ai/openai_routes.hpp"
#include "sluice/jobs/job_queue.hpp"

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

namespace sluice::ai::batches {

inline constexpr std::string_view kBatchJobType = "openai_batch";
/// OpenAI's limit of requests per batch.
inline constexpr std::size_t kMaxBatchRequests = 50'000;

/// What the batch job needs; the models are looked up when a batch first runs (the server's
/// DI container builds them at start-up, a `sluice worker` builds its own).
struct BatchServices {
  std::shared_ptr<FileStore> files;
  std::shared_ptr<BatchStore> batches;
  std::function<std::shared_ptr<ai::Embedder>()> embedder;
  std::function<std::shared_ptr<ai::Generator>()> generator;
  std::size_t concurrency = 64;                    // lines in flight per batch
  openai::RequestLimits limits;                    // as the online routes have them
  std::chrono::milliseconds update_interval{200};  // request_counts and cancel checks
};

/// Registers the handler of the batch job type on `queue` (before its workers start).
void handle_batch_jobs(jobs::JobQueue& queue, std::shared_ptr<BatchServices> services);

/// Runs (or resumes) batch `batch_id`; returns a small summary for the job record. Throws
/// JobCancelled when the job must stop without finishing (shutdown, lost lease): it resumes
/// later from its output files.
boost::json::value run_batch(const std::string& batch_id, BatchServices& services, jobs::JobContext& job);

}  // namespace sluice::ai::batches
