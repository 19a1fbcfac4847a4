// The article's model service, registered once and injected into the handler. Its generate()
// blocks (a model pass), so the handler runs it on the compute pool, never on the IO thread.
#include <sluice/sluice.hpp>

using namespace sluice;

struct ModelService {
  std::string generate(const std::string& prompt) const { return {prompt.rbegin(), prompt.rend()}; }
};

int main() {
  App app;
  app.services().add_singleton(std::make_shared<ModelService>());

  app.post("/ai/generate",
           [](Query<"prompt", std::string> prompt, Depends<ModelService> model,
              Depends<ComputePool> compute) -> awaitable<json::value> {
             auto response = co_await compute->run([&] { return model->generate(*prompt); });
             co_return json::value{{"response", response}};
           });
  app.run({.port = 8000});
}
