#include "sluice/rag/chunker.hpp"

#include <gtest/gtest.h>

namespace sluice::rag {
namespace {

std::vector<ChunkDraft> chunk(std::string_view text, std::size_t size, std::size_t overlap) {
  return chunk_text(text, {.size = size, .overlap = overlap}, count_words);
}

/// The code points [start, end) of `text`.
std::string slice(std::string_view text, std::size_t start, std::size_t end) {
  std::string out;
  std::size_t index = 0;
  for (std::size_t i = 0; i < text.size(); ++i) {
    bool begins = (static_cast<unsigned char>(text[i]) & 0xC0) != 0x80;
    if (begins && i > 0) ++index;
    if (index >= start && index < end) out += text[i];
  }
  return out;
}

bool is_utf8(std::string_view s) {
  for (std::size_t i = 0; i < s.size();) {
    auto c = static_cast<unsigned char>(s[i]);
    std::size_t n = c < 0x80 ? 1 : (c & 0xE0) == 0xC0 ? 2 : (c & 0xF0) == 0xE0 ? 3 : (c & 0xF8) == 0xF0 ? 4 : 0;
    if (n == 0 || i + n > s.size()) return false;
    for (std::size_t j = 1; j < n; ++j)
      if ((static_cast<unsigned char>(s[i + j]) & 0xC0) != 0x80) return false;
    i += n;
  }
  return true;
}

TEST(Chunker, ShortTextIsOneChunkWithItsOffsets) {
  auto chunks = chunk("  One sentence only.  ", 256, 32);
  ASSERT_EQ(chunks.size(), 1u);
  EXPECT_EQ(chunks[0].text, "One sentence only.");
  EXPECT_EQ(chunks[0].start, 2u);
  EXPECT_EQ(chunks[0].end, 20u);
}

TEST(Chunker, EmptyTextGivesOneEmptyChunk) {
  auto chunks = chunk(" \n ", 256, 32);
  ASSERT_EQ(chunks.size(), 1u);
  EXPECT_EQ(chunks[0].text, "");
}

TEST(Chunker, CutsAtTheParagraphEndRatherThanMidParagraph) {
  // 10-word chunks: the first paragraph (6 words) ends where a cut keeps the chunk half full.
  std::string text = "Alpha beta gamma. Delta epsilon zeta.\n\nEta theta iota. Kappa lambda mu.";
  auto chunks = chunk(text, 10, 0);
  ASSERT_EQ(chunks.size(), 2u);
  EXPECT_EQ(chunks[0].text, "Alpha beta gamma. Delta epsilon zeta.");
  EXPECT_EQ(chunks[1].text, "Eta theta iota. Kappa lambda mu.");
}

TEST(Chunker, CutsAtSentencesAndOverlapsWithWholeSentences) {
  std::string text;
  for (int i = 0; i < 12; ++i) text += "Sentence number " + std::to_string(i) + " has five words. ";
  auto chunks = chunk(text, 20, 6);  // six-word sentences: three a chunk, one carried over
  ASSERT_GT(chunks.size(), 2u);
  for (std::size_t i = 0; i < chunks.size(); ++i) {
    EXPECT_LE(count_words(chunks[i].text), 20u);
    EXPECT_EQ(chunks[i].text.back(), '.') << "ends at a sentence";
    EXPECT_EQ(slice(text, chunks[i].start, chunks[i].end), chunks[i].text);
    if (i > 0) {
      // The last sentence of the previous chunk opens this one.
      auto last = chunks[i - 1].text.substr(chunks[i - 1].text.rfind("Sentence"));
      EXPECT_EQ(chunks[i].text.rfind(last, 0), 0u) << chunks[i].text;
    }
  }
  EXPECT_NE(chunks.back().text.find("number 11"), std::string::npos) << "nothing lost at the end";
}

TEST(Chunker, WithoutOverlapChunksTileTheText) {
  std::string text;
  for (int i = 0; i < 50; ++i) text += "word" + std::to_string(i) + (i % 7 == 6 ? ". " : " ");
  auto chunks = chunk(text, 16, 0);
  std::string joined;
  for (const auto& c : chunks) joined += c.text + " ";
  EXPECT_EQ(count_words(joined), 50u);
}

TEST(Chunker, OffsetsCountCharactersNotBytes) {
  std::string text = "Ça coûte cher. Éléphant où? Über straße.";
  auto chunks = chunk(text, 3, 0);
  ASSERT_GE(chunks.size(), 2u);
  for (const auto& c : chunks) {
    EXPECT_TRUE(is_utf8(c.text));
    EXPECT_EQ(slice(text, c.start, c.end), c.text);
  }
  EXPECT_EQ(chunks[0].start, 0u);
  EXPECT_EQ(chunks[0].end, 14u) << "\"Ça coûte cher.\" is 14 characters, 16 bytes";
}

TEST(Chunker, AWordLongerThanAChunkIsCutAtCharacterBoundaries) {
  std::string word;
  for (int i = 0; i < 300; ++i) word += "é";  // 600 bytes, one "word"
  auto bytes_as_tokens = [](std::string_view s) { return s.size(); };
  auto chunks = chunk_text(word, {.size = 101, .overlap = 0}, bytes_as_tokens);
  ASSERT_GT(chunks.size(), 5u);
  std::string joined;
  for (const auto& c : chunks) {
    EXPECT_TRUE(is_utf8(c.text));
    EXPECT_LE(c.text.size(), 102u);
    joined += c.text;
  }
  EXPECT_EQ(joined, word);
}

TEST(TextExtraction, HtmlToTextDropsScriptsKeepsBlocksDecodesEntities) {
  std::string title;
  auto text = html_to_text(
      "<html><head><title>Tea &amp; Biscuits</title><style>p{}</style></head><body>"
      "<h1>Heading</h1><p>First <b>bold</b> para&nbsp;&#233;&#x41;.</p><script>alert(1)</script>"
      "<ul><li>one</li><li>two</li></ul></body></html>",
      &title);
  EXPECT_EQ(title, "Tea & Biscuits");
  EXPECT_EQ(text, "Heading\n\nFirst bold para éA.\n\none\ntwo");
}

TEST(TextExtraction, MarkdownToTextKeepsTheWords) {
  std::string title;
  auto text = markdown_to_text("# Guide\n\nSome *emphasis* and `code` and [a link](http://x).\n\n- item one\n", &title);
  EXPECT_EQ(title, "Guide");
  EXPECT_EQ(text, "Guide\n\nSome emphasis and code and a link.\n\nitem one");
}

}  // namespace
}  // namespace sluice::rag
