#pragma once
// Reads Server-Sent Events incrementally, as an upstream's stream arrives in arbitrary pieces.

#include <string>
#include <string_view>
#include <vector>

namespace sluice::ai::detail {

class SseReader {
 public:
  /// Adds received bytes; returns the `data` of each event completed by them (multi-line data
  /// joined with '\n'). Comments and other fields are skipped.
  std::vector<std::string> feed(std::string_view bytes);

 private:
  std::string pending_;  // an incomplete line
  std::string data_;     // data lines of the event being read
  bool has_data_ = false;
};

}  // namespace sluice::ai::detail
