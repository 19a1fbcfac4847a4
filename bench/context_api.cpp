// The context API for benchmarks: GET /context?query=... answers {"documents":[...]} after a
// fixed delay, like ../shared/peers/fastapi/upstream.py but on Sluice's own event loop, so that
// it is never the bottleneck at 256 connections. The routes are the tests' (tests/support).
// Usage: sluice-context-api PORT [DELAY_MS]

#include "context_api.hpp"

#include <charconv>
#include <cstdio>
#include <cstring>
#include <optional>
#include <string_view>

namespace {

std::optional<long> number(std::string_view text, long max) {
  long value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc{} || end != text.data() + text.size() || value < 0 || value > max) return std::nullopt;
  return value;
}

}  // namespace

int main(int argc, char** argv) {
  const bool wants_help = argc > 1 && (std::strcmp(argv[1], "--help") == 0 || std::strcmp(argv[1], "-h") == 0);
  auto port = argc > 1 ? number(argv[1], 65535) : std::nullopt;
  auto delay = argc > 2 ? number(argv[2], 3'600'000) : std::optional<long>(20);
  if (wants_help || argc < 2 || argc > 3 || !port || !delay) {
    std::fprintf(wants_help ? stdout : stderr,
                 "usage: %s PORT [DELAY_MS]\n"
                 "Serves GET /context?query=... after DELAY_MS (default 20), /slow and /health.\n",
                 argv[0]);
    return wants_help ? 0 : 2;
  }
  sluice::http::ServerOptions options;
  options.port = static_cast<std::uint16_t>(*port);
  options.io_threads = 1;
  options.request_ids = false;  // an upstream stand-in: no id of its own to add per request
  sluice::App app(1);
  sluice::test::add_context_routes(app, std::chrono::milliseconds(*delay));
  app.run(options);
  return 0;
}
