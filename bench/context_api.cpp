// The context API for benchmarks: GET /context?query=... answers
// {"documents":[...]} after a fixed delay, like ../shared/peers/fastapi/upstream.py but on
// Sluice's own event loop, so that it is never the bottleneck at 256 connections.
// Usage: sluice-context-api PORT [DELAY_MS]

#include "sluice/api/app.hpp"

#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <cstdio>
#include <string>

int main(int argc, char** argv) {
  namespace asio = boost::asio;
  if (argc < 2) {
    std::fprintf(stderr, "usage: %s PORT [DELAY_MS]\n", argv[0]);
    return 2;
  }
  sluice::http::ServerOptions options;
  options.port = static_cast<std::uint16_t>(std::stoi(argv[1]));
  options.io_threads = 1;
  const auto delay = std::chrono::milliseconds(argc > 2 ? std::stoi(argv[2]) : 20);

  sluice::App app(1);
  app.get("/context", [delay](sluice::http::Request&) -> asio::awaitable<sluice::http::Response> {
    asio::steady_timer timer(co_await asio::this_coro::executor, delay);
    co_await timer.async_wait(asio::use_awaitable);
    co_return sluice::http::Response::json(
        {{"documents", {"Sluice serves AI backends.", "Context for the prompt."}}});
  });
  app.get("/health", [](sluice::http::Request&) -> asio::awaitable<sluice::http::Response> {
    co_return sluice::http::Response::json({{"status", "ok"}});
  });
  app.run(options);
  return 0;
}
