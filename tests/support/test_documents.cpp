#include "test_documents.hpp"

#include <zip.h>

#include <cstdio>
#include <stdexcept>

namespace sluice::test {

namespace {

std::string pdf_string(const std::string& text) {
  std::string out = "(";
  for (char c : text) {
    if (c == '(' || c == ')' || c == '\\') out += '\\';
    out += c;
  }
  return out + ")";
}

std::string xml_escaped(const std::string& text) {
  std::string out;
  for (char c : text) {
    if (c == '<')
      out += "&lt;";
    else if (c == '>')
      out += "&gt;";
    else if (c == '&')
      out += "&amp;";
    else if (c == '"')
      out += "&quot;";
    else
      out += c;
  }
  return out;
}

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  std::size_t start = 0;
  while (start <= text.size()) {
    auto end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    lines.push_back(text.substr(start, end - start));
    start = end + 1;
  }
  return lines;
}

/// A PDF from its page content streams: catalog 1, pages 2, font 3, info 4, then a page and
/// its content per page; the xref table is written with each object's byte offset.
std::string pdf_of(const std::vector<std::string>& contents, const std::string& title) {
  std::string out = "%PDF-1.4\n%\xE2\xE3\xCF\xD3\n";
  std::vector<std::size_t> offsets;
  auto object = [&](const std::string& body) {
    offsets.push_back(out.size());
    out += std::to_string(offsets.size()) + " 0 obj\n" + body + "\nendobj\n";
  };
  std::string kids;
  for (std::size_t i = 0; i < contents.size(); ++i) kids += std::to_string(5 + 2 * i) + " 0 R ";
  object("<< /Type /Catalog /Pages 2 0 R >>");
  object("<< /Type /Pages /Kids [" + kids + "] /Count " + std::to_string(contents.size()) + " >>");
  object("<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>");
  object("<< /Title " + pdf_string(title) + " /Producer (sluice tests) >>");
  for (std::size_t i = 0; i < contents.size(); ++i) {
    object(
        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /Font << /F1 3 0 R >> >> "
        "/Contents " +
        std::to_string(6 + 2 * i) + " 0 R >>");
    object("<< /Length " + std::to_string(contents[i].size()) + " >>\nstream\n" + contents[i] + "\nendstream");
  }
  auto xref = out.size();
  out += "xref\n0 " + std::to_string(offsets.size() + 1) + "\n0000000000 65535 f \n";
  char line[32];
  for (auto offset : offsets) {
    std::snprintf(line, sizeof line, "%010zu 00000 n \n", offset);
    out += line;
  }
  out += "trailer\n<< /Size " + std::to_string(offsets.size() + 1) + " /Root 1 0 R /Info 4 0 R >>\nstartxref\n" +
         std::to_string(xref) + "\n%%EOF\n";
  return out;
}

}  // namespace

std::string make_pdf(const std::vector<std::string>& pages, const std::string& title) {
  std::vector<std::string> contents;
  for (const auto& page : pages) {
    if (page.empty()) {
      contents.emplace_back();  // no text operators: what a scan without OCR looks like
      continue;
    }
    std::string content = "BT\n/F1 11 Tf\n14 TL\n72 740 Td\n";
    for (const auto& line : lines_of(page)) content += pdf_string(line) + " Tj T*\n";
    content += "ET";
    contents.push_back(std::move(content));
  }
  return pdf_of(contents, title);
}

std::string make_two_column_pdf(const std::vector<std::string>& left, const std::vector<std::string>& right) {
  std::string content = "BT\n/F1 11 Tf\n";
  for (std::size_t i = 0; i < std::max(left.size(), right.size()); ++i) {
    auto y = std::to_string(740 - 14 * static_cast<int>(i));
    if (i < left.size()) content += "1 0 0 1 72 " + y + " Tm " + pdf_string(left[i]) + " Tj\n";
    if (i < right.size()) content += "1 0 0 1 330 " + y + " Tm " + pdf_string(right[i]) + " Tj\n";
  }
  content += "ET";
  return pdf_of({content}, "");
}

std::string make_zip(const std::vector<std::pair<std::string, std::string>>& members) {
  zip_error_t error;
  zip_error_init(&error);
  auto* buffer = zip_source_buffer_create(nullptr, 0, 0, &error);
  zip_source_keep(buffer);  // outlives the archive: the bytes are read back from it
  auto* archive = zip_open_from_source(buffer, ZIP_TRUNCATE, &error);
  if (!archive) throw std::runtime_error("zip_open_from_source failed");
  for (const auto& [name, bytes] : members) {
    auto* source = zip_source_buffer(archive, bytes.data(), bytes.size(), 0);
    if (!source || zip_file_add(archive, name.c_str(), source, ZIP_FL_ENC_UTF_8) < 0)
      throw std::runtime_error("zip_file_add failed");
  }
  if (zip_close(archive) != 0) throw std::runtime_error("zip_close failed");
  std::string out;
  if (zip_source_open(buffer) == 0) {
    zip_source_seek(buffer, 0, SEEK_END);
    out.resize(static_cast<std::size_t>(zip_source_tell(buffer)));
    zip_source_seek(buffer, 0, SEEK_SET);
    zip_source_read(buffer, out.data(), out.size());
    zip_source_close(buffer);
  }
  zip_source_free(buffer);
  zip_error_fini(&error);
  return out;
}

std::string docx_document_xml(const std::vector<OfficeParagraph>& paragraphs, const std::string& style_prefix) {
  std::string body;
  for (const auto& paragraph : paragraphs) {
    body += "<w:p>";
    if (paragraph.heading_level > 0)
      body += "<w:pPr><w:pStyle w:val=\"" + style_prefix + std::to_string(paragraph.heading_level) + "\"/></w:pPr>";
    // Two runs per paragraph, as Word splits text where formatting changes.
    auto half = paragraph.text.find(' ', paragraph.text.size() / 2);
    if (half == std::string::npos) half = paragraph.text.size();
    body += "<w:r><w:t xml:space=\"preserve\">" + xml_escaped(paragraph.text.substr(0, half)) + "</w:t></w:r>";
    body += "<w:r><w:rPr><w:b/></w:rPr><w:t xml:space=\"preserve\">" + xml_escaped(paragraph.text.substr(half)) +
            "</w:t></w:r></w:p>";
  }
  return "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n"
         "<w:document xmlns:w=\"http://schemas.openxmlformats.org/wordprocessingml/2006/main\"><w:body>" +
         body + "<w:sectPr/></w:body></w:document>";
}

std::string make_docx(const std::vector<OfficeParagraph>& paragraphs, const std::string& title,
                      const std::string& style_prefix) {
  std::string styles =
      "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
      "<w:styles xmlns:w=\"http://schemas.openxmlformats.org/wordprocessingml/2006/main\">"
      "<w:style w:type=\"paragraph\" w:default=\"1\" w:styleId=\"Normal\"><w:name w:val=\"Normal\"/></w:style>";
  for (int level = 1; level <= 3; ++level)
    styles += "<w:style w:type=\"paragraph\" w:styleId=\"" + style_prefix + std::to_string(level) +
              "\"><w:name w:val=\"heading " + std::to_string(level) + "\"/></w:style>";
  styles += "</w:styles>";
  std::vector<std::pair<std::string, std::string>> members = {
      {"[Content_Types].xml",
       "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
       "<Types xmlns=\"http://schemas.openxmlformats.org/package/2006/content-types\">"
       "<Default Extension=\"xml\" ContentType=\"application/xml\"/>"
       "<Override PartName=\"/word/document.xml\" "
       "ContentType=\"application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml\"/></Types>"},
      {"word/document.xml", docx_document_xml(paragraphs, style_prefix)},
      {"word/styles.xml", styles}};
  if (!title.empty())
    members.emplace_back("docProps/core.xml",
                         "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
                         "<cp:coreProperties xmlns:cp=\"http://schemas.openxmlformats.org/package/2006/metadata/"
                         "core-properties\" xmlns:dc=\"http://purl.org/dc/elements/1.1/\"><dc:title>" +
                             xml_escaped(title) + "</dc:title></cp:coreProperties>");
  return make_zip(members);
}

std::string make_odt(const std::vector<OfficeParagraph>& paragraphs, const std::string& title) {
  std::string body;
  for (const auto& paragraph : paragraphs) {
    // Words split by a span and a text:s, as LibreOffice writes formatting and runs of spaces.
    auto half = paragraph.text.find(' ', paragraph.text.size() / 2);
    if (half == std::string::npos) half = paragraph.text.size();
    auto inner = xml_escaped(paragraph.text.substr(0, half)) + "<text:s text:c=\"2\"/><text:span>" +
                 xml_escaped(paragraph.text.substr(half)) + "</text:span>";
    if (paragraph.heading_level > 0)
      body += "<text:h text:outline-level=\"" + std::to_string(paragraph.heading_level) + "\">" + inner + "</text:h>";
    else
      body += "<text:p>" + inner + "</text:p>";
  }
  const std::string ns =
      " xmlns:office=\"urn:oasis:names:tc:opendocument:xmlns:office:1.0\""
      " xmlns:text=\"urn:oasis:names:tc:opendocument:xmlns:text:1.0\""
      " xmlns:dc=\"http://purl.org/dc/elements/1.1/\" office:version=\"1.3\"";
  std::vector<std::pair<std::string, std::string>> members = {
      {"mimetype", "application/vnd.oasis.opendocument.text"},
      {"content.xml", "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<office:document-content" + ns +
                          "><office:body><office:text>" + body +
                          "<office:annotation><text:p>A reviewer's comment</text:p></office:annotation>"
                          "</office:text></office:body></office:document-content>"}};
  if (!title.empty())
    members.emplace_back("meta.xml", "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<office:document-meta" + ns +
                                         "><office:meta><dc:title>" + xml_escaped(title) +
                                         "</dc:title></office:meta></office:document-meta>");
  return make_zip(members);
}

std::string make_epub(const std::vector<std::vector<OfficeParagraph>>& chapters, const std::string& title) {
  std::vector<std::pair<std::string, std::string>> members = {
      {"mimetype", "application/epub+zip"},
      {"META-INF/container.xml",
       "<?xml version=\"1.0\"?>\n<container version=\"1.0\" xmlns=\"urn:oasis:names:tc:opendocument:xmlns:container\">"
       "<rootfiles><rootfile full-path=\"OEBPS/content.opf\" media-type=\"application/oebps-package+xml\"/>"
       "</rootfiles></container>"}};
  std::string manifest, spine;
  for (std::size_t i = 0; i < chapters.size(); ++i) {
    auto id = "chapter" + std::to_string(i + 1);
    std::string body;
    for (const auto& paragraph : chapters[i]) {
      std::string tag = "p";
      if (paragraph.heading_level > 0) tag = std::string("h").append(std::to_string(paragraph.heading_level));
      body += '<';
      body += tag;
      body += '>';
      body += xml_escaped(paragraph.text);
      body += "</";
      body += tag;
      body += '>';
    }
    // Appended piece by piece: GCC 12 warns (falsely) on a long chain of operator+ here.
    std::string xhtml = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<html xmlns=\"http://www.w3.org/1999/xhtml\">";
    xhtml += "<head><title>";
    xhtml += id;
    xhtml += "</title><style>p { margin: 0 }</style></head><body>";
    xhtml += body;
    xhtml += "</body></html>";
    members.emplace_back("OEBPS/text/" + id + ".xhtml", std::move(xhtml));
    manifest += "<item id=\"" + id + "\" href=\"text/" + id + ".xhtml\" media-type=\"application/xhtml+xml\"/>";
    spine += "<itemref idref=\"" + id + "\"/>";
  }
  std::string package = "<?xml version=\"1.0\"?>\n<package xmlns=\"http://www.idpf.org/2007/opf\" version=\"3.0\">";
  package += "<metadata xmlns:dc=\"http://purl.org/dc/elements/1.1/\"><dc:title>";
  package += xml_escaped(title);
  package += "</dc:title></metadata><manifest>";
  package += manifest;
  package += "</manifest><spine>";
  package += spine;
  package += "</spine></package>";
  members.emplace_back("OEBPS/content.opf", std::move(package));
  return make_zip(members);
}

}  // namespace sluice::test
