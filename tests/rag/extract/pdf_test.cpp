// PDF extraction (src/rag/extract/pdf.cpp) on PDFs the test writes: text and page starts,
// reading order, scanned pages, and the files Poppler cannot or may not read.
#include "extract/document_extract.hpp"
#include "extract/utf8.hpp"
#include "test_documents.hpp"

#include <gtest/gtest.h>

namespace sluice::rag {
namespace {

using test::make_pdf;

std::size_t page_of(const ExtractedText& extracted, std::string_view needle) {
  auto at = extracted.text.find(needle);
  EXPECT_NE(at, std::string::npos) << needle << " in " << extracted.text;
  auto offset = code_points(std::string_view(extracted.text).substr(0, at));
  return pages_of(extracted.page_starts, offset, offset + needle.size())->first;
}

TEST(PdfExtract, TextOfEveryPageWithItsPageAndTheTitle) {
  auto pdf = make_pdf({"Lighthouse keepers trim the wick at night.\nThe lamp turns until dawn.",
                       "Sourdough bread rises slowly in a cool kitchen.", "Volcanoes vent steam before they erupt."},
                      "Three short notes");
  auto extracted = extract_pdf(pdf, "notes.pdf", {});
  ASSERT_TRUE(extracted) << extracted.error().message;
  EXPECT_EQ(extracted->title, "Three short notes");
  ASSERT_EQ(extracted->page_starts.size(), 3u);
  EXPECT_EQ(extracted->page_starts[0], 0u);
  EXPECT_TRUE(extracted->pages_without_text.empty());
  EXPECT_EQ(page_of(*extracted, "Lighthouse keepers trim the wick"), 1u);
  EXPECT_EQ(page_of(*extracted, "The lamp turns until dawn."), 1u);
  EXPECT_EQ(page_of(*extracted, "Sourdough bread rises slowly"), 2u);
  EXPECT_EQ(page_of(*extracted, "Volcanoes vent steam"), 3u);
  // Pages are paragraphs to the chunker: a blank line between them.
  EXPECT_NE(extracted->text.find("dawn.\n\nSourdough"), std::string::npos) << extracted->text;
}

TEST(PdfExtract, PagesOfAChunkSpanningTwoPages) {
  std::vector<std::size_t> starts{0, 100, 250};
  EXPECT_EQ(pages_of(starts, 0, 50)->first, 1u);
  EXPECT_EQ(pages_of(starts, 0, 50)->last, 1u);
  EXPECT_EQ(pages_of(starts, 90, 120)->first, 1u);
  EXPECT_EQ(pages_of(starts, 90, 120)->last, 2u);
  EXPECT_EQ(pages_of(starts, 100, 250)->last, 2u);  // end is exclusive
  EXPECT_EQ(pages_of(starts, 300, 310)->first, 3u);
  EXPECT_FALSE(pages_of({}, 0, 10));
}

TEST(PdfExtract, TwoColumnsComeInReadingOrder) {
  // Drawn line by line across both columns; read column by column.
  auto pdf = test::make_two_column_pdf({"Alpha column opens here", "alpha goes on below", "alpha ends the column"},
                                       {"Beta column opens here", "beta goes on below", "beta ends the column"});
  auto extracted = extract_pdf(pdf, "columns.pdf", {});
  ASSERT_TRUE(extracted) << extracted.error().message;
  auto alpha_end = extracted->text.find("alpha ends the column");
  auto beta_start = extracted->text.find("Beta column opens here");
  ASSERT_NE(alpha_end, std::string::npos) << extracted->text;
  ASSERT_NE(beta_start, std::string::npos) << extracted->text;
  EXPECT_LT(alpha_end, beta_start) << extracted->text;
}

TEST(PdfExtract, ScannedPagesAreReportedNotSilentlyEmpty) {
  auto pdf = make_pdf({"A page with a text layer.", "", "Another page with text.", ""});
  auto extracted = extract_pdf(pdf, "mixed.pdf", {});
  ASSERT_TRUE(extracted) << extracted.error().message;
  EXPECT_EQ(extracted->pages_without_text, (std::vector<std::size_t>{2, 4}));
  ASSERT_EQ(extracted->page_starts.size(), 4u);
  EXPECT_EQ(page_of(*extracted, "Another page with text."), 3u);
}

TEST(PdfExtract, NoTextLayerOnAnyPageIs422NamingTheFile) {
  auto extracted = extract_pdf(make_pdf({"", ""}), "scan.pdf", {});
  ASSERT_FALSE(extracted);
  EXPECT_EQ(extracted.error().status, 422u);
  EXPECT_EQ(extracted.error().code, "no_text_layer");
  EXPECT_NE(extracted.error().message.find("scan.pdf"), std::string::npos);
  EXPECT_NE(extracted.error().message.find("no text layer"), std::string::npos);
}

TEST(PdfExtract, GarbageIs422NamingTheFile) {
  for (std::string garbage : {std::string("not a pdf at all"), std::string("%PDF-1.4\n1 0 obj <<"), std::string()}) {
    auto extracted = extract_pdf(garbage, "broken.pdf", {});
    ASSERT_FALSE(extracted);
    EXPECT_EQ(extracted.error().status, 422u);
    EXPECT_EQ(extracted.error().code, "document_unreadable");
    EXPECT_NE(extracted.error().message.find("broken.pdf"), std::string::npos);
  }
}

TEST(PdfExtract, MorePagesThanTheBoundIs413) {
  ExtractLimits limits;
  limits.max_pages = 2;
  auto extracted = extract_pdf(make_pdf({"one", "two", "three"}), "long.pdf", limits);
  ASSERT_FALSE(extracted);
  EXPECT_EQ(extracted.error().status, 413u);
  EXPECT_NE(extracted.error().message.find("long.pdf"), std::string::npos);
  EXPECT_NE(extracted.error().message.find("3 pages"), std::string::npos);
}

TEST(PdfExtract, FormatFromTheContentTypeOrTheFileName) {
  EXPECT_EQ(file_format("application/pdf", ""), FileFormat::pdf);
  EXPECT_EQ(file_format("application/octet-stream", "Report.PDF"), FileFormat::pdf);
  EXPECT_EQ(file_format("", "a.docx"), FileFormat::docx);
  EXPECT_EQ(file_format("application/vnd.oasis.opendocument.text", "x"), FileFormat::odt);
  EXPECT_EQ(file_format("application/vnd.openxmlformats-officedocument.wordprocessingml.document", ""),
            FileFormat::docx);
  EXPECT_EQ(file_format("", "book.epub"), FileFormat::epub);
  EXPECT_FALSE(file_format("text/plain", "a.pdf"));  // a type that says otherwise wins
  EXPECT_FALSE(file_format("", "notes.txt"));
}

}  // namespace
}  // namespace sluice::rag
