#include "rag_options.hpp"

#include "sluice/postgres/database.hpp"

#include <CLI/CLI.hpp>

#include <filesystem>
#include <string>

namespace sluice::server {

std::shared_ptr<postgres::Database> open_database(const std::string& url) {
  return url.empty() ? nullptr : postgres::Database::open({.url = url});
}

std::shared_ptr<rag::Datasets> open_datasets(const std::string& data_dir, std::shared_ptr<postgres::Database> database,
                                             std::shared_ptr<ai::Embedder> embedder, double vector_weight,
                                             bool serves_searches) {
  const auto directory = std::filesystem::path(data_dir) / "rag";
  std::filesystem::create_directories(directory);
  auto store = database ? rag::open_postgres_dataset_store(std::move(database))
                        : rag::open_sqlite_dataset_store((directory / "rag.db").string());
  return std::make_shared<rag::Datasets>(rag::DatasetsOptions{.directory = directory, .vector_weight = vector_weight, .serves_searches = serves_searches},
                                         std::move(store), std::move(embedder));
}

void add_rag_flags(CLI::App& command, RagOptions& o) {
  command
      .add_option("--context-dataset", o.context_dataset,
                  "Dataset GET /generate retrieves its context from (a --context-url wins); 0: built-in passages")
      ->envname("SLUICE_CONTEXT_DATASET")
      ->capture_default_str();
  command
      .add_option("--dataset-admin-keys", o.admin_keys,
                  "API keys that see every dataset, job and search result (others see their own)")
      ->envname("SLUICE_DATASET_ADMIN_KEYS")
      ->delimiter(',');
  command
      .add_option("--hybrid-vector-weight", o.hybrid_vector_weight,
                  "Weight of the vector ranking in hybrid search (keyword: 1); default 1, or " +
                      std::to_string(kLexicalVectorWeight).substr(0, 4) + " with the built-in embedder")
      ->envname("SLUICE_HYBRID_VECTOR_WEIGHT")
      ->check(CLI::Range(0.0, 10.0));
  command.add_option("--upload-limit", o.upload_limit, "Largest document upload in bytes; larger → 413")
      ->envname("SLUICE_UPLOAD_LIMIT")
      ->capture_default_str();
}

}  // namespace sluice::server
