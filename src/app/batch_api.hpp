#pragma once
// OpenAI's Files and Batches API (/v1/files, /v1/batches) on Sluice's durable jobs: uploads in
// the data directory, batches run by the `openai_batch` job through the same model services as
// the online /v1 routes, in `sluice serve` or in `sluice worker` processes sharing the data
// directory (and the job store, e.g. with --redis-url).

#include "access.hpp"
#include "batch_options.hpp"
#include "batch_runner.hpp"
#include "job_service.hpp"
#include "sluice/ai/openai.hpp"
#include "serve_options.hpp"

#include "sluice/api/app.hpp"
#include "sluice/core/compute_pool.hpp"
#include "sluice/http/request.hpp"

#include <memory>
#include <string>

namespace sluice::app {

/// What the /v1/files and /v1/batches handlers share (a DI singleton).
class BatchApi {
 public:
  BatchApi(std::shared_ptr<BatchServices> services, std::shared_ptr<JobService> jobs, BatchOptions options,
           std::shared_ptr<const Access> access);

  FileStore& files() { return *services_->files; }
  BatchStore& batches() { return *services_->batches; }
  JobService& jobs() { return *jobs_; }
  const BatchOptions& options() const { return options_; }
  /// Whose files and batches a request sees: its API key's when keys are on, else everyone's ("").
  std::string owner(const http::Request& request) const;
  /// Runs disk work (uploads, SQLite) off the IO threads: `co_await api->run(fn)`. Its own two
  /// threads, so that writing a large upload never delays the job store's calls.
  template <class F>
  auto run(F fn) {
    return disk_.run(std::move(fn));
  }

 private:
  std::shared_ptr<BatchServices> services_;
  std::shared_ptr<JobService> jobs_;
  BatchOptions options_;
  std::shared_ptr<const Access> access_;
  core::ComputePool disk_{2};
};

/// Mounts /v1/files and /v1/batches on `app` and registers the batch job on `jobs` (call before the app runs). With API keys on, files and batches belong to the
/// key that created them.
void add_batch_api(App& app, const ServeOptions& options, std::shared_ptr<JobService> jobs);

/// The server's upload route gets a body limit of its own (the file limit plus room for the
/// multipart framing); every other route keeps --body-limit.
void add_upload_body_limit(http::ServerOptions& server, const BatchOptions& options);

/// For `sluice worker`: registers the batch job with `models`' embedder and generator.
void register_worker_batch_job(JobService& jobs, App& models, const std::string& data_dir, const BatchOptions& options,
                               const ai::openai::RequestLimits& limits);

// The two route groups (file_routes.cpp, batch_routes.cpp).
void add_file_routes(App& app);
void add_batch_routes(App& app);

/// OpenAI's 404 for a missing (or someone else's) object.
core::Error no_such(std::string_view kind, std::string_view id, std::string_view param);

}  // namespace sluice::app
