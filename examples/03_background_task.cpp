// The article's background task: answer at once, build embeddings after the response.
#include <sluice/sluice.hpp>

using namespace sluice;

void build_embeddings(int /*dataset_id*/) {
  // heavy computation stands here in a real system
}

int main() {
  App app;
  jobs::BackgroundTasks::install(app.services(), app.compute());

  app.post("/datasets/{dataset_id}/process",
           [](Path<"dataset_id", int> dataset_id, Depends<jobs::BackgroundTasks> tasks) -> awaitable<json::value> {
             tasks->add("build_embeddings", [id = *dataset_id] { build_embeddings(id); });
             co_return json::value{{"status", "processing started"}};
           });
  app.run({.port = 8000});
}
