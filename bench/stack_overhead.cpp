// /health with and without the protection stack, for bench/stack.sh:
//   bare: no request ids, no metrics, no guards;
//   obs:  X-Request-ID and Prometheus metrics only;
//   full: X-Request-ID, metrics, an app-wide rate limit keyed by client address, and an
//         admission gate on the route — what a production deployment runs on every request.
// The limits are far above what the benchmark reaches, so every request takes the full path
// and is answered 200.
// Usage: sluice-stack-bench bare|obs|full PORT

#include <sluice/sluice.hpp>
#include <sluice/obs/observers.hpp>

#include <cstdio>
#include <cstdlib>
#include <string_view>

using namespace sluice;

int main(int argc, char** argv) {
  const std::string_view mode = argc == 3 ? argv[1] : "";
  if (mode != "bare" && mode != "obs" && mode != "full") {
    std::fprintf(stderr, "usage: %s bare|obs|full PORT\n", argv[0]);
    return 2;
  }
  App app(1);
  limits::Limiter limiter;
  RouteDoc doc;
  if (mode != "bare") app.observe(obs::http_metrics(std::make_shared<obs::Registry>()));
  if (mode == "full") {
    app.guard(limiter.shared_limit("1000000000/second", "global"));
    doc.guards = {limits::AdmissionGate::create({.max_in_flight = 4096, .max_queue = 0})};
  }
  app.get("/health", [](Request&) -> awaitable<Response> { co_return Response::json({{"status", "ok"}}); }, doc);
  app.run({.port = static_cast<std::uint16_t>(std::atoi(argv[2])), .io_threads = 1, .request_ids = mode != "bare"});
}
