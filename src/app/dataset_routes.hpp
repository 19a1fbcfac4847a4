#pragma once
// The dataset routes (a group of their own): datasets, documents, processing, search, answers.

#include "context_source.hpp"
#include "job_service.hpp"
#include "protection.hpp"
#include "serve_options.hpp"

#include "sluice/api/app.hpp"
#include "sluice/rag/datasets.hpp"

#include <functional>
#include <memory>

namespace sluice::app {

/// Registers rag::Datasets (SQLite store and indexes under <data_dir>/rag, the configured
/// embedder), and the build_embeddings job handler on `jobs`.
void add_dataset_services(App& app, const ServeOptions& options, const std::shared_ptr<JobService>& jobs);

/// POST/GET /datasets, GET/DELETE /datasets/{dataset_id}, documents, process, search, answer.
void add_dataset_routes(App& app);

/// The server's per-request body limit: --upload-limit for document uploads, --body-limit else.
std::function<std::uint64_t(http::Verb, std::string_view)> dataset_body_limits(const ServeOptions& options);

/// GET /generate's context from a dataset: the best passages for the prompt (hybrid search).
std::shared_ptr<ContextSource> dataset_context(App& app, std::int64_t dataset_id);

}  // namespace sluice::app
