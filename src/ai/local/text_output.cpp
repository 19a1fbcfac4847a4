#include "text_output.hpp"

#include <algorithm>

namespace sluice::ai::local {

TextOutput::TextOutput(std::vector<std::string> stops) : stops_(std::move(stops)) {
  std::erase_if(stops_, [](const std::string& s) { return s.empty(); });
  for (const auto& s : stops_) longest_stop_ = std::max(longest_stop_, s.size());
}

bool TextOutput::append(std::string_view piece) {
  // A stop string can only end inside the new piece: search from where it could start.
  const std::size_t from = text_.size() > longest_stop_ ? text_.size() - longest_stop_ : 0;
  text_ += piece;
  std::size_t cut = std::string::npos;
  for (const auto& stop : stops_) cut = std::min(cut, text_.find(stop, from));
  if (cut == std::string::npos) return false;
  text_.resize(cut);
  handed_out_ = std::min(handed_out_, text_.size());
  return true;
}

std::size_t TextOutput::held_back() const {
  std::size_t hold = incomplete_utf8_tail(text_);
  const std::string_view view(text_);
  for (const auto& stop : stops_) {
    // The longest suffix of the text that is a proper prefix of this stop string.
    for (std::size_t n = std::min(stop.size() - 1, text_.size()); n > hold; --n)
      if (view.substr(text_.size() - n) == std::string_view(stop).substr(0, n)) {
        hold = n;
        break;
      }
  }
  return hold;
}

std::string TextOutput::take_ready(bool is_final) {
  const std::size_t end = is_final ? text_.size() : text_.size() - held_back();
  if (end <= handed_out_) return {};
  std::string out = text_.substr(handed_out_, end - handed_out_);
  handed_out_ = end;
  return out;
}

std::size_t incomplete_utf8_tail(std::string_view text) {
  // Look back at most 3 bytes for the lead byte of the last character.
  for (std::size_t back = 1; back <= std::min<std::size_t>(4, text.size()); ++back) {
    const auto c = static_cast<unsigned char>(text[text.size() - back]);
    if ((c & 0xC0) == 0x80) continue;  // continuation byte
    std::size_t length = c < 0x80 ? 1 : (c & 0xE0) == 0xC0 ? 2 : (c & 0xF0) == 0xE0 ? 3 : (c & 0xF8) == 0xF0 ? 4 : 1;
    return length > back ? back : 0;
  }
  return 0;
}

}  // namespace sluice::ai::local
