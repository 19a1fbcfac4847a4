// A route that takes 50 ms (an awaited timer: the model call of a real service) behind an
// admission gate of 64 in flight, for bench/overload.sh.
// Usage: sluice-overload-server PORT [MAX_QUEUE QUEUE_TIMEOUT_MS]

#include <sluice/sluice.hpp>

#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <cstdio>
#include <cstdlib>

using namespace sluice;

int main(int argc, char** argv) {
  if (argc != 2 && argc != 4) {
    std::fprintf(stderr, "usage: %s PORT [MAX_QUEUE QUEUE_TIMEOUT_MS]\n", argv[0]);
    return 2;
  }
  const std::size_t max_queue = argc == 4 ? std::strtoul(argv[2], nullptr, 10) : 32;
  const std::chrono::milliseconds queue_timeout(argc == 4 ? std::atol(argv[3]) : 25);
  App app(1);
  // The queue target of `sluice serve`'s model stage: with this 50 ms stage, max_queue decides.
  auto gate = limits::AdmissionGate::create({.max_in_flight = 64,
                                             .max_queue = max_queue,
                                             .queue_timeout = queue_timeout,
                                             .queue_target = std::chrono::milliseconds(20)});
  app.get(
      "/work",
      [](Request&) -> awaitable<Response> {
        boost::asio::steady_timer model(co_await boost::asio::this_coro::executor, std::chrono::milliseconds(50));
        co_await model.async_wait(boost::asio::use_awaitable);
        co_return Response::json({{"result", "done"}});
      },
      {.guards = {gate}});
  app.get("/stats", [gate](Request&) -> awaitable<Response> {
    const auto& s = gate->stats();
    co_return Response::json({{"admitted", s.admitted.load()},
                              {"shed_queue_full", s.shed_queue_full.load()},
                              {"shed_timeout", s.shed_timeout.load()}});
  });
  app.run({.port = static_cast<std::uint16_t>(std::atoi(argv[1])), .io_threads = 1, .max_connections = 4096});
}
