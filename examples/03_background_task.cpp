// The article's background task: answer at once, build embeddings after the response (on the
// compute pool). Every App provides BackgroundTasks, as FastAPI does.
#include <sluice/sluice.hpp>

using namespace sluice;

void build_embeddings(int /*dataset_id*/) {}  // heavy computation stands here in a real system

int main() {
  App app;
  app.post("/datasets/{dataset_id}/process",
           [](Path<"dataset_id", int> id, Depends<BackgroundTasks> tasks) -> awaitable<json::value> {
             tasks->add(build_embeddings, *id);
             co_return json::value{{"status", "processing started"}};
           });
  app.run({.port = 8000});
}
