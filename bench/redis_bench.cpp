// Async Redis client throughput on one event loop: what pipelining buys.
//   sluice-redis-bench redis://127.0.0.1:6379 CALLS CONCURRENCY
// CONCURRENCY coroutines on one thread issue GETs until CALLS have completed; with more than
// one, their commands share the loop's connection and are pipelined.
// Prints one CSV line: concurrency,calls,calls_per_s,errors

#include "sluice/client/redis_client.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>

#include <chrono>
#include <cstdio>
#include <string>

namespace asio = boost::asio;
using sluice::client::RedisClient;

int main(int argc, char** argv) {
  if (argc < 4) {
    std::fprintf(stderr, "usage: %s REDIS_URL CALLS CONCURRENCY\n", argv[0]);
    return 2;
  }
  RedisClient client({.url = argv[1], .timeout = std::chrono::seconds(10)});
  const int calls = std::stoi(argv[2]);
  const int concurrency = std::stoi(argv[3]);
  int started = 0;
  int finished = 0;
  int errors = 0;
  asio::io_context io;
  const auto begin = std::chrono::steady_clock::now();
  for (int i = 0; i < concurrency; ++i) {
    asio::co_spawn(
        io,
        [&]() -> asio::awaitable<void> {
          std::vector<std::string> args;
          args.push_back("GET");
          args.push_back("bench:key");
          while (started < calls) {
            ++started;
            auto reply = co_await client.command(args);
            if (!reply) ++errors;
            if (++finished == calls) io.stop();  // the connection's reader would keep the loop alive
          }
        },
        asio::detached);
  }
  io.run();
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - begin).count();
  std::printf("%d,%d,%.0f,%d\n", concurrency, calls, calls / seconds, errors);
  return errors == 0 ? 0 : 1;
}
