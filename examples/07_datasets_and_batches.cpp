// Sluice's datasets API and OpenAI's Files and Batches API in your own app: each feature is a
// route group, mounted with one call, on the models and the job queue the app provides.
#include <sluice/sluice.hpp>

#include <sluice/ai/batcher.hpp>
#include <sluice/ai/batches.hpp>
#include <sluice/ai/extractive_generator.hpp>
#include <sluice/jobs/job_store.hpp>
#include <sluice/rag/routes.hpp>

#include <filesystem>

using namespace sluice;

int main() {
  App app;
  // The models: the built-in embedder (behind the dynamic batcher) and extractive generator.
  auto model = std::make_shared<const ai::BuiltinEmbeddingModel>();
  std::shared_ptr<ai::Embedder> embedder =
      std::make_shared<ai::BatchedEmbedder>(std::make_shared<ai::Batcher>(model, app.compute()));
  app.services().add_singleton<ai::Embedder>(embedder);
  app.services().add_singleton<ai::Generator>(std::make_shared<ai::ExtractiveGenerator>(app.compute()));

  // Durable jobs (indexing, batches) in SQLite, run by two workers in this process.
  std::filesystem::create_directories("data/rag");
  auto queue = std::make_shared<jobs::JobQueue>(jobs::open_sqlite_store("data/jobs.db"));
  auto datasets = std::make_shared<rag::Datasets>(rag::DatasetsOptions{.directory = "data/rag"},
                                                  rag::open_sqlite_dataset_store("data/rag/rag.db"), embedder);
  app.services().add_singleton<rag::Datasets>(datasets);
  rag::handle_indexing_jobs(*queue, [datasets] { return datasets; });

  app.include(rag::routes({.queue = queue}));  // /datasets/...
  app.include(ai::openai::batch_routes({.data_dir = "data"}, queue, app.services()));  // /v1/files, /v1/batches

  jobs::Workers workers(*queue, {.concurrency = 2});
  workers.start();
  app.run({.port = 8000});
  workers.stop();
}
