// The article's minimal app: GET /health.
#include <sluice/sluice.hpp>

using namespace sluice;

int main() {
  App app;
  app.get("/health", []() -> awaitable<json::value> { co_return json::value{{"status", "ok"}}; });
  app.run({.port = 8000});
}
