#pragma once
// PDF, DOCX, ODT and EPUB files written by the tests themselves (nothing fetched): a minimal
// PDF with Helvetica text, and office files zipped with libzip.

#include <string>
#include <utility>
#include <vector>

namespace sluice::test {

/// A PDF whose page i shows pages[i]'s lines ('\n' splits them) in Helvetica; an empty page
/// has no text at all (a scanned page's text layer, missing). `title` goes in /Info.
std::string make_pdf(const std::vector<std::string>& pages, const std::string& title = "");

/// A PDF page in two columns, drawn interleaved (a right line after each left line), so that
/// only a reading-order extraction gives the left column whole before the right one.
std::string make_two_column_pdf(const std::vector<std::string>& left, const std::vector<std::string>& right);

/// A zip archive of (name, bytes) members, deflated.
std::string make_zip(const std::vector<std::pair<std::string, std::string>>& members);

/// A paragraph of an office file: its text and its heading level (0: body text).
struct OfficeParagraph {
  int heading_level = 0;
  std::string text;
};

/// A DOCX with `paragraphs` (headings by the styles Heading1..9, whose ids are `style_prefix`N:
/// "Heading" as Word writes them in English, "berschrift" in German), and a title in
/// docProps/core.xml when given.
std::string make_docx(const std::vector<OfficeParagraph>& paragraphs, const std::string& title = "",
                      const std::string& style_prefix = "Heading");

/// An ODT with `paragraphs` (text:h with outline levels, text:p), and a title in meta.xml.
std::string make_odt(const std::vector<OfficeParagraph>& paragraphs, const std::string& title = "");

/// An EPUB of chapters, each an XHTML file of paragraphs (headings as <h1>..).
std::string make_epub(const std::vector<std::vector<OfficeParagraph>>& chapters, const std::string& title = "");

/// The body of DOCX's word/document.xml for `paragraphs` (for hand-made damaged files).
std::string docx_document_xml(const std::vector<OfficeParagraph>& paragraphs,
                              const std::string& style_prefix = "Heading");

}  // namespace sluice::test
