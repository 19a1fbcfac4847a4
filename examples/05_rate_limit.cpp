// The article's rate-limited endpoint: 10 requests per minute per client address.
#include <sluice/sluice.hpp>

using namespace sluice;

int main() {
  App app;
  auto limiter = std::make_shared<limits::RateLimiter>(limits::RateLimit::parse("10/minute"));

  app.get("/ai", limits::rate_limited(limiter, [](Request&) -> awaitable<Response> {
            co_return Response::json({{"result", "ok"}});
          }));
  app.run({.port = 8000});
}
