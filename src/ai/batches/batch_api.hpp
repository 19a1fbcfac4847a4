#pragma once
// What the /v1/files and /v1/batches handlers share, and the pieces batch_routes() mounts
// (file_routes.cpp, batch_routes.cpp). Internal to the batches layer: users see
// sluice/ai/batches.hpp.

#include "batch_runner.hpp"

#include "sluice/ai/batches.hpp"
#include "sluice/api/ownership.hpp"
#include "sluice/api/route_group.hpp"
#include "sluice/core/compute_pool.hpp"
#include "sluice/core/error.hpp"
#include "sluice/http/request.hpp"
#include "sluice/jobs/job_queue.hpp"

#include <memory>
#include <string>
#include <string_view>

namespace sluice::ai::batches {

/// A DI singleton: the stores, the queue batches are enqueued on, and who owns what.
class BatchApi {
 public:
  BatchApi(std::shared_ptr<BatchServices> services, std::shared_ptr<jobs::JobQueue> queue, openai::BatchOptions options,
           std::shared_ptr<const api::Ownership> ownership);

  FileStore& files() { return *services_->files; }
  BatchStore& batches() { return *services_->batches; }
  jobs::JobQueue& queue() { return *queue_; }
  const openai::BatchOptions& options() const { return options_; }
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
  std::shared_ptr<jobs::JobQueue> queue_;
  openai::BatchOptions options_;
  std::shared_ptr<const api::Ownership> ownership_;
  core::ComputePool disk_{2};
};

/// The /files routes; POST /files reads bodies up to `file_size_limit` plus the multipart framing.
void add_file_routes(api::RouteGroup& group, std::uint64_t file_size_limit);
/// The /batches routes.
void add_batch_routes(api::RouteGroup& group);

/// OpenAI's 400 for a request the files and batches routes refuse, naming `param` if given.
core::Error bad_request(std::string message, std::string param = {});
/// OpenAI's 404 for a missing (or someone else's) object.
core::Error no_such(std::string_view kind, std::string_view id, std::string_view param);

}  // namespace sluice::ai::batches
