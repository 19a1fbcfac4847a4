#pragma once
// The text of a flowing document (DOCX, ODT, EPUB) as the chunker reads it: one paragraph per
// block, set off by blank lines, and headings as Markdown "## Heading" lines, so that cuts
// fall between sections and a heading stays with its first paragraph.

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace sluice::rag {

class OutlineText {
 public:
  explicit OutlineText(std::size_t max_bytes) : max_bytes_(max_bytes) {}

  /// A paragraph (heading_level 0) or a heading (1 to 6; deeper is 6) begins. Blocks nest (a
  /// text box in a paragraph, a <p> in a <div>): the outer block's text so far is set down
  /// first, so the text keeps the document's order.
  void open_block(int heading_level = 0);
  /// The innermost block's heading level, known only after it opened (DOCX's w:pStyle).
  void set_heading_level(int heading_level);
  /// Characters of the innermost block (nothing outside a block).
  void append(std::string_view text);
  void close_block();
  bool is_in_block() const { return !open_.empty(); }

  /// Whether the text has passed its bound (what came after that was dropped).
  bool is_over_limit() const { return is_over_limit_; }
  const std::string& first_heading() const { return first_heading_; }
  std::string take() { return std::move(text_); }

 private:
  struct Block {
    std::string text;
    int heading_level = 0;
  };
  /// Sets down a paragraph: runs of spaces and tabs become one space, line breaks stay, a
  /// blank one adds nothing.
  void set_down(const Block& block);

  std::size_t max_bytes_;
  std::vector<Block> open_;
  std::string text_, first_heading_;
  bool is_over_limit_ = false;
};

}  // namespace sluice::rag
