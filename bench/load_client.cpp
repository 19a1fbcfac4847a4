// An open-loop HTTP load generator that keeps latency per status, which wrk cannot. RATE
// requests per second are spread evenly over C keep-alive connections; each connection sends
// GET PATH at its scheduled times, and latency counts from the scheduled time (so a slow
// server is not excused by the client waiting for it: no coordinated omission). Runs for D
// seconds; prints one CSV line per status — count, p50, p90, p99, max (ms) — then the
// connection errors.
// Usage: sluice-load-client HOST PORT PATH CONNECTIONS RATE SECONDS

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/connect.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http.hpp>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <string>
#include <vector>

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using Clock = std::chrono::steady_clock;

struct Results {
  std::map<unsigned, std::vector<float>> latency_ms;  // by status
  std::size_t connection_errors = 0;
};

asio::awaitable<void> connection(asio::ip::tcp::endpoint endpoint, std::string path, Clock::time_point first,
                                 Clock::duration interval, Clock::time_point end, Results& results) {
  auto executor = co_await asio::this_coro::executor;
  asio::steady_timer schedule(executor);
  Clock::time_point due = first;
  while (due < end) {
    beast::tcp_stream stream(executor);
    bool has_failed = false;
    try {
      co_await stream.async_connect(endpoint, asio::use_awaitable);
      http::request<http::empty_body> request(http::verb::get, path, 11);
      request.set(http::field::host, "bench");
      beast::flat_buffer buffer;
      while (due < end) {
        schedule.expires_at(due);
        co_await schedule.async_wait(asio::use_awaitable);  // at once when already late
        co_await http::async_write(stream, request, asio::use_awaitable);
        http::response<http::string_body> response;
        co_await http::async_read(stream, buffer, response, asio::use_awaitable);
        const std::chrono::duration<float, std::milli> took = Clock::now() - due;
        results.latency_ms[response.result_int()].push_back(took.count());
        due += interval;
        if (!response.keep_alive()) break;
      }
    } catch (const std::exception&) {
      ++results.connection_errors;
      has_failed = true;
    }
    if (has_failed) {  // back off a little before reconnecting (no co_await inside a catch)
      asio::steady_timer pause(executor, std::chrono::milliseconds(10));
      co_await pause.async_wait(asio::use_awaitable);
    }
  }
}

float percentile(std::vector<float>& values, double p) {
  auto index = static_cast<std::size_t>(p * static_cast<double>(values.size() - 1));
  std::nth_element(values.begin(), values.begin() + static_cast<long>(index), values.end());
  return values[index];
}

int main(int argc, char** argv) {
  if (argc != 7) {
    std::fprintf(stderr, "usage: %s HOST PORT PATH CONNECTIONS RATE SECONDS\n", argv[0]);
    return 2;
  }
  asio::io_context io(1);
  asio::ip::tcp::endpoint endpoint(asio::ip::make_address(argv[1]), static_cast<unsigned short>(std::atoi(argv[2])));
  const int connections = std::atoi(argv[4]);
  const double rate = std::atof(argv[5]);
  // Each connection sends every `interval`; their first sends are staggered evenly across it.
  const auto interval = std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(connections / rate));
  const auto start = Clock::now() + std::chrono::milliseconds(100);  // time to connect
  const auto end = start + std::chrono::seconds(std::atoi(argv[6]));
  Results results;
  for (int i = 0; i < connections; ++i)
    asio::co_spawn(io, connection(endpoint, argv[3], start + interval * i / connections, interval, end, results),
                   asio::detached);
  io.run();
  std::printf("status,count,p50_ms,p90_ms,p99_ms,max_ms\n");
  for (auto& [status, values] : results.latency_ms) {
    const float max = *std::max_element(values.begin(), values.end());
    const auto count = values.size();
    const float p50 = percentile(values, 0.50), p90 = percentile(values, 0.90), p99 = percentile(values, 0.99);
    std::printf("%u,%zu,%.2f,%.2f,%.2f,%.2f\n", status, count, p50, p90, p99, max);
  }
  std::printf("connection_errors,%zu\n", results.connection_errors);
}
