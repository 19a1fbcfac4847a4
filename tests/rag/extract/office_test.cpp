// DOCX, ODT and EPUB extraction (src/rag/extract/office.cpp, epub.cpp) on files the test
// zips itself: headings and paragraphs, titles, and the bounds — a member past its declared
// or real size (a zip bomb) is 413, damaged XML 422, entities are not expanded.
#include "extract/document_extract.hpp"
#include "test_documents.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <cstring>

namespace sluice::rag {
namespace {

using test::OfficeParagraph;

const std::vector<OfficeParagraph> kLighthouse = {{1, "Lighthouses"},
                                                  {0, "Keepers trim the wick and wind the clockwork at night."},
                                                  {2, "The lamp"},
                                                  {0, "A Fresnel lens bends the light into a beam & sends it far."},
                                                  {0, "It turns until dawn."}};

const std::string kLighthouseText =
    "# Lighthouses\n\nKeepers trim the wick and wind the clockwork at night.\n\n## The lamp\n\n"
    "A Fresnel lens bends the light into a beam & sends it far.\n\nIt turns until dawn.";

TEST(OfficeExtract, DocxHeadingsAndParagraphsInOrder) {
  auto extracted = extract_docx(test::make_docx(kLighthouse, "Keeping a light"), "light.docx", {});
  ASSERT_TRUE(extracted) << extracted.error().message;
  EXPECT_EQ(extracted->text, kLighthouseText);
  EXPECT_EQ(extracted->title, "Keeping a light");
  EXPECT_TRUE(extracted->page_starts.empty());
}

TEST(OfficeExtract, DocxHeadingStylesAreFoundByNameWhereTheirIdsAreLocalised) {
  // A German Word names its heading styles "berschrift1"; styles.xml says they are "heading 1".
  auto extracted = extract_docx(test::make_docx(kLighthouse, "", "berschrift"), "licht.docx", {});
  ASSERT_TRUE(extracted) << extracted.error().message;
  EXPECT_EQ(extracted->text, kLighthouseText);
  EXPECT_EQ(extracted->title, "Lighthouses");  // no core.xml title: the first heading
}

TEST(OfficeExtract, OdtHeadingsAndParagraphsWithoutComments) {
  auto extracted = extract_odt(test::make_odt(kLighthouse, "Keeping a light"), "light.odt", {});
  ASSERT_TRUE(extracted) << extracted.error().message;
  EXPECT_EQ(extracted->text, kLighthouseText);
  EXPECT_EQ(extracted->title, "Keeping a light");
  EXPECT_EQ(extracted->text.find("reviewer"), std::string::npos);
}

TEST(OfficeExtract, EpubChaptersInSpineOrder) {
  auto epub = test::make_epub(
      {{{1, "Lighthouses"}, {0, "Keepers trim the wick."}}, {{1, "Bread"}, {0, "Sourdough rises slowly."}}},
      "Two chapters");
  auto extracted = extract_epub(epub, "book.epub", {});
  ASSERT_TRUE(extracted) << extracted.error().message;
  EXPECT_EQ(extracted->text, "# Lighthouses\n\nKeepers trim the wick.\n\n# Bread\n\nSourdough rises slowly.");
  EXPECT_EQ(extracted->title, "Two chapters");
}

TEST(OfficeExtract, NotAZipOrMissingItsDocumentIs422NamingTheFile) {
  auto not_zip = extract_docx("PK but not really", "fake.docx", {});
  ASSERT_FALSE(not_zip);
  EXPECT_EQ(not_zip.error().status, 422u);
  EXPECT_NE(not_zip.error().message.find("fake.docx"), std::string::npos);
  auto empty = extract_docx(test::make_zip({{"other.xml", "<a/>"}}), "empty.docx", {});
  ASSERT_FALSE(empty);
  EXPECT_EQ(empty.error().status, 422u);
  EXPECT_NE(empty.error().message.find("word/document.xml"), std::string::npos);
  auto odt = extract_odt(test::make_zip({{"content.xml", "<office:document-content>unclosed"}}), "bad.odt", {});
  ASSERT_FALSE(odt);
  EXPECT_EQ(odt.error().status, 422u);
  EXPECT_NE(odt.error().message.find("bad.odt: content.xml is not well-formed XML"), std::string::npos)
      << odt.error().message;
}

/// A member that says what it expands to: past the bound before a byte is inflated.
TEST(OfficeExtract, AMemberDeclaringMoreThanTheBoundIs413) {
  ExtractLimits limits;
  limits.max_member_bytes = 1u << 20;
  std::vector<OfficeParagraph> many(40000, {0, "All work and no play makes a dull document."});
  auto extracted = extract_docx(test::make_docx(many), "bomb.docx", limits);
  ASSERT_FALSE(extracted);
  EXPECT_EQ(extracted.error().status, 413u);
  EXPECT_EQ(extracted.error().code, "document_too_large");
  EXPECT_NE(extracted.error().message.find("bomb.docx"), std::string::npos);
  EXPECT_NE(extracted.error().message.find("word/document.xml"), std::string::npos);
}

/// Rewrites the uncompressed size of every member in the local and central headers: the
/// archive now lies about how far it expands.
std::string with_declared_size(std::string zip, std::uint32_t size) {
  auto patch = [&](std::size_t at) { std::memcpy(zip.data() + at, &size, 4); };  // little-endian host
  for (std::size_t i = 0; i + 46 <= zip.size(); ++i) {
    if (zip.compare(i, 4, "PK\x03\x04") == 0)
      patch(i + 22);
    else if (zip.compare(i, 4, "PK\x01\x02") == 0)
      patch(i + 24);
  }
  return zip;
}

TEST(OfficeExtract, AMemberExpandingPastWhatItDeclaresStopsAtTheBound) {
  ExtractLimits limits;
  limits.max_member_bytes = 1u << 20;
  std::string blanks(8u << 20, ' ');  // 8 MiB of nothing, deflated to a few kilobytes
  auto bomb = with_declared_size(test::make_zip({{"word/document.xml",
                                                  "<w:document xmlns:w=\"http://schemas.openxmlformats.org/"
                                                  "wordprocessingml/2006/main\"><w:body>" +
                                                      blanks + "</w:body></w:document>"}}),
                                 100);
  auto extracted = extract_docx(bomb, "liar.docx", limits);
  ASSERT_FALSE(extracted);
  // libzip inflates past the declared 100 bytes; the count stops it at the bound.
  EXPECT_EQ(extracted.error().status, 413u) << extracted.error().message;
  EXPECT_NE(extracted.error().message.find("expands past 1 MiB"), std::string::npos);
  EXPECT_NE(extracted.error().message.find("liar.docx"), std::string::npos);
}

TEST(OfficeExtract, EntitiesAreNotExpanded) {
  // A billion laughs: nine levels of ten references each.
  std::string dtd = "<!DOCTYPE w:document [<!ENTITY lol0 \"lol\">";
  for (int i = 1; i < 10; ++i) {
    dtd += "<!ENTITY lol" + std::to_string(i) + " \"";
    for (int j = 0; j < 10; ++j) dtd += "&lol" + std::to_string(i - 1) + ";";
    dtd += "\">";
  }
  dtd += "]>";
  auto xml = "<?xml version=\"1.0\"?>" + dtd +
             "<w:document xmlns:w=\"http://schemas.openxmlformats.org/wordprocessingml/2006/main\"><w:body>"
             "<w:p><w:r><w:t>before &lol9; after</w:t></w:r></w:p></w:body></w:document>";
  auto extracted = extract_docx(test::make_zip({{"word/document.xml", xml}}), "laughs.docx", {});
  // libxml2 refuses the amplification outright: a 422 naming the file, not gigabytes of lol.
  ASSERT_FALSE(extracted) << extracted->text.size() << " bytes of text";
  EXPECT_EQ(extracted.error().status, 422u) << extracted.error().message;
  EXPECT_NE(extracted.error().message.find("laughs.docx"), std::string::npos);
}

TEST(OfficeExtract, TextPastItsBoundIs413) {
  ExtractLimits limits;
  limits.max_text_bytes = 1000;
  std::vector<OfficeParagraph> many(100, {0, "Twenty-odd bytes of text per paragraph."});
  auto extracted = extract_odt(test::make_odt(many), "long.odt", limits);
  ASSERT_FALSE(extracted);
  EXPECT_EQ(extracted.error().status, 413u);
  EXPECT_NE(extracted.error().message.find("long.odt"), std::string::npos);
}

}  // namespace
}  // namespace sluice::rag
