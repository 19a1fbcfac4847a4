// The article's rate-limited endpoint: 10 requests per minute per client address
// (slowapi's `@limiter.limit("10/minute")`).
#include <sluice/sluice.hpp>

using namespace sluice;

int main() {
  App app;
  limits::Limiter limiter;  // keyed by client address, counted in memory

  app.get(
      "/ai", [](Request&) -> awaitable<Response> { co_return Response::json({{"result", "ok"}}); },
      {.guards = {limiter.limit("10/minute")}});
  app.run({.port = 8000});
}
