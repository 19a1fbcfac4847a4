#include "sse_reader.hpp"

namespace sluice::ai::detail {

std::vector<std::string> SseReader::feed(std::string_view bytes) {
  std::vector<std::string> events;
  pending_.append(bytes);
  std::size_t start = 0;
  while (true) {
    auto end = pending_.find('\n', start);
    if (end == std::string::npos) break;
    std::string_view line(pending_.data() + start, end - start);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    start = end + 1;
    if (line.empty()) {  // a blank line ends the event
      if (has_data_) events.push_back(std::move(data_));
      data_.clear();
      has_data_ = false;
    } else if (line.starts_with("data:")) {
      line.remove_prefix(5);
      if (!line.empty() && line.front() == ' ') line.remove_prefix(1);
      if (has_data_) data_ += '\n';
      data_.append(line);
      has_data_ = true;
    }
  }
  pending_.erase(0, start);
  return events;
}

}  // namespace sluice::ai::detail
