#include "batch_api.hpp"

#include <algorithm>

#include "sluice/ai/embedder.hpp"
#include "sluice/ai/generator.hpp"

#include <fmt/format.h>

namespace sluice::app {

namespace {
constexpr std::uint64_t kMultipartRoom = 64 * 1024;  // boundaries, part headers, the purpose field
}

BatchApi::BatchApi(std::shared_ptr<BatchServices> services, std::shared_ptr<JobService> jobs, BatchOptions options,
                   std::shared_ptr<const Access> access)
    : services_(std::move(services)), jobs_(std::move(jobs)), options_(options), access_(std::move(access)) {}

std::string BatchApi::owner(const http::Request& request) const { return access_->owner(request); }

core::Error no_such(std::string_view kind, std::string_view id, std::string_view param) {
  return ai::openai::invalid(std::string(param), fmt::format("No such {} object: {}", kind, id), "not_found", 404);
}

void add_batch_api(App& app, const ServeOptions& options, std::shared_ptr<JobService> jobs) {
  auto& container = app.services();
  auto services = std::make_shared<BatchServices>();
  services->files = std::make_shared<FileStore>(options.jobs.data_dir);
  services->batches = std::make_shared<BatchStore>(options.jobs.data_dir);
  services->concurrency = options.batches.concurrency;
  services->limits = options.ai.limits;
  services->embedder = [&container] { return container.get<ai::Embedder>(); };
  services->generator = [&container] { return container.get<ai::Generator>(); };
  register_batch_job(jobs->queue(), services);
  container.add_singleton<BatchApi>(
      std::make_shared<BatchApi>(services, jobs, options.batches, container.get<Access>()));
  add_file_routes(app);
  add_batch_routes(app);
}

void add_upload_body_limit(http::ServerOptions& server, const BatchOptions& options) {
  // Composed with the limits already set (dataset uploads): POST /v1/files gets its own.
  auto others = std::move(server.body_limit_for);
  const auto general = server.body_limit;
  const auto files = options.file_size_limit + kMultipartRoom;  // smaller than --body-limit too
  server.body_limit_for = [others = std::move(others), general, files](http::Verb method, std::string_view target) {
    if (method == http::Verb::post && target.substr(0, target.find('?')) == "/v1/files") return files;
    return others ? others(method, target) : general;
  };
}

void register_worker_batch_job(JobService& jobs, App& models, const std::string& data_dir, const BatchOptions& options,
                               const ai::openai::RequestLimits& limits) {
  auto services = std::make_shared<BatchServices>();
  services->files = std::make_shared<FileStore>(data_dir);
  services->batches = std::make_shared<BatchStore>(data_dir);
  services->concurrency = options.concurrency;
  services->limits = limits;
  // Built now, before any worker thread exists: nothing races to build them on first use.
  auto embedder = models.services().get<ai::Embedder>();
  auto generator = models.services().get<ai::Generator>();
  services->embedder = [embedder] { return embedder; };
  services->generator = [generator] { return generator; };
  register_batch_job(jobs.queue(), std::move(services));
}

}  // namespace sluice::app
