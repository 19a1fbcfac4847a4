// The article's model service, registered once and injected into the handler.
#include <sluice/sluice.hpp>

using namespace sluice;

struct ModelService {
  std::string generate(const std::string& prompt) const { return {prompt.rbegin(), prompt.rend()}; }
};

int main() {
  App app;
  app.services().add_singleton(std::make_shared<ModelService>());

  app.post("/ai/generate",
           [](Query<"prompt", std::string> prompt, Depends<ModelService> model) -> awaitable<json::value> {
             co_return json::value{{"response", model->generate(*prompt)}};
           });
  app.run({.port = 8000});
}
