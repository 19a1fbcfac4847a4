// The SSE reader over a remote provider's stream, fed in arbitrary pieces: the first byte of the
// input chooses where the stream is split, so piece boundaries are fuzzed too.
#include "sse_reader.hpp"

#include <cstddef>
#include <cstdint>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::size_t step = 1 + data[0] % 16;
  std::string_view stream(reinterpret_cast<const char*>(data) + 1, size - 1);
  sluice::ai::detail::SseReader reader;
  std::size_t total = 0;
  for (std::size_t at = 0; at < stream.size(); at += step)
    for (const auto& event : reader.feed(stream.substr(at, step))) total += event.size();
  // Whatever the pieces, the events' data can never be longer than the stream.
  if (total > stream.size()) __builtin_trap();
  return 0;
}
