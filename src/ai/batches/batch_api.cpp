#include "batch_api.hpp"

#include "sluice/ai/openai.hpp"
#include "sluice/di/container.hpp"

#include <fmt/format.h>

#include <utility>

namespace sluice::ai::batches {

BatchApi::BatchApi(std::shared_ptr<BatchServices> services, std::shared_ptr<jobs::JobQueue> queue,
                   openai::BatchOptions options, std::shared_ptr<const api::Ownership> ownership)
    : services_(std::move(services)),
      queue_(std::move(queue)),
      options_(std::move(options)),
      ownership_(std::move(ownership)) {}

std::string BatchApi::owner(const http::Request& request) const {
  return ownership_ ? ownership_->owner(request) : std::string();
}

core::Error bad_request(std::string message, std::string param) {
  return openai::invalid(std::move(param), std::move(message));
}

core::Error no_such(std::string_view kind, std::string_view id, std::string_view param) {
  return openai::invalid(std::string(param), fmt::format("No such {} object: {}", kind, id), "not_found", 404);
}

}  // namespace sluice::ai::batches

namespace sluice::ai::openai {

namespace {

/// The stores (the data directory's or PostgreSQL's) and the limits of the lines; the models are the caller's.
std::shared_ptr<batches::BatchServices> open_services(const BatchOptions& options) {
  auto services = std::make_shared<batches::BatchServices>();
  if (options.database) {
    services->files = batches::open_postgres_file_store(options.database);
    services->batches = batches::open_postgres_batch_store(options.database);
  } else {
    services->files = batches::open_local_file_store(options.data_dir);
    services->batches = batches::open_sqlite_batch_store(options.data_dir);
  }
  services->concurrency = options.concurrency;
  services->limits = options.limits;
  return services;
}

}  // namespace

api::RouteGroup batch_routes(const BatchOptions& options, std::shared_ptr<jobs::JobQueue> queue,
                             di::Container& services) {
  auto shared = open_services(options);
  // Looked up when a batch first runs: the container builds the models at start-up, after the
  // routes are mounted. The container outlives the queue's workers (the app stops them first).
  shared->embedder = [&services] { return services.get<Embedder>(); };
  shared->generator = [&services] { return services.get<Generator>(); };
  batches::handle_batch_jobs(*queue, shared);
  services.add_singleton<batches::BatchApi>(std::make_shared<batches::BatchApi>(shared, queue, options, options.ownership));
  api::RouteGroup group(options.group);
  batches::add_file_routes(group, options.file_size_limit);
  batches::add_batch_routes(group);
  return group;
}

void register_batch_job(jobs::JobQueue& queue, const BatchOptions& options, std::shared_ptr<Embedder> embedder,
                        std::shared_ptr<Generator> generator) {
  auto shared = open_services(options);
  shared->embedder = [embedder = std::move(embedder)] { return embedder; };
  shared->generator = [generator = std::move(generator)] { return generator; };
  batches::handle_batch_jobs(queue, std::move(shared));
}

}  // namespace sluice::ai::openai
