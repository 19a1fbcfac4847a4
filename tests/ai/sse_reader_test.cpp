#include "../../src/ai/sse_reader.hpp"

#include <gtest/gtest.h>

namespace sluice::ai::detail {
namespace {

TEST(SseReader, ReadsEventsSplitAnywhere) {
  std::string stream = "data: one\n\n: comment\n\nevent: x\r\ndata: two\r\ndata: lines\r\n\r\ndata: [DONE]\n\n";
  for (std::size_t step = 1; step <= stream.size(); ++step) {
    SseReader reader;
    std::vector<std::string> events;
    for (std::size_t i = 0; i < stream.size(); i += step)
      for (auto& e : reader.feed(std::string_view(stream).substr(i, step))) events.push_back(e);
    EXPECT_EQ(events, (std::vector<std::string>{"one", "two\nlines", "[DONE]"})) << "step " << step;
  }
}

}  // namespace
}  // namespace sluice::ai::detail
