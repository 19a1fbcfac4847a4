#include "outline_text.hpp"

#include <algorithm>

namespace sluice::rag {

namespace {

std::string tidy_paragraph(std::string_view text) {
  std::string out;
  bool pending_space = false, pending_break = false;
  for (char c : text) {
    if (c == '\n') {
      pending_break = true;
    } else if (c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v') {
      pending_space = true;
    } else {
      if (!out.empty() && pending_break)
        out += '\n';
      else if (!out.empty() && pending_space)
        out += ' ';
      pending_space = pending_break = false;
      out += c;
    }
  }
  return out;
}

}  // namespace

void OutlineText::open_block(int heading_level) {
  if (!open_.empty()) {
    set_down(open_.back());
    open_.back().text.clear();
  }
  open_.push_back({{}, heading_level});
}

void OutlineText::set_heading_level(int heading_level) {
  if (!open_.empty()) open_.back().heading_level = heading_level;
}

void OutlineText::append(std::string_view text) {
  if (open_.empty() || is_over_limit_) return;
  auto& block = open_.back().text;
  // A single block past the bound (one paragraph of megabytes) is caught here, not at its end.
  if (block.size() + text.size() > max_bytes_) {
    is_over_limit_ = true;
    return;
  }
  block.append(text);
}

void OutlineText::close_block() {
  if (open_.empty()) return;
  set_down(open_.back());
  open_.pop_back();
}

void OutlineText::set_down(const Block& block) {
  if (is_over_limit_) return;
  auto text = tidy_paragraph(block.text);
  if (text.empty()) return;
  if (block.heading_level > 0) {
    // A heading is one line: its own line breaks would end it early for the chunker.
    std::replace(text.begin(), text.end(), '\n', ' ');
    if (first_heading_.empty()) first_heading_ = text.substr(0, 4096);
  }
  if (text_.size() + text.size() + 8 > max_bytes_) {
    is_over_limit_ = true;
    return;
  }
  if (!text_.empty()) text_ += "\n\n";
  if (block.heading_level > 0) {
    text_.append(static_cast<std::size_t>(std::min(block.heading_level, 6)), '#');
    text_ += ' ';
  }
  text_ += text;
}

}  // namespace sluice::rag
