// DOCX (word/document.xml) and ODT (content.xml): paragraphs in document order, headings kept
// as headings, the title from the document's properties (else its first heading).
#include "document_extract.hpp"
#include "outline_text.hpp"
#include "zip_xml.hpp"

#include <charconv>
#include <unordered_map>

namespace sluice::rag {

namespace {

using Node = XmlReader::Node;

constexpr std::string_view kDublinCore = "http://purl.org/dc/elements/1.1/";

std::optional<int> number(std::string_view text) {
  int value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return value;
}

std::string lower(std::string_view text) {
  std::string out(text);
  for (auto& c : out) c = static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
  return out;
}

/// dc:title of a properties member (docProps/core.xml, meta.xml); "" when there is none. The
/// properties are optional: a missing or damaged member is no title, not a failure.
std::string dublin_core_title(const ZipArchive& archive, std::string_view member, std::string_view file_name) {
  if (!archive.contains(member)) return {};
  // A title is short: a properties member past 1 MiB is not worth reading for it.
  auto xml = ZipXml::open(archive, member, 1u << 20, file_name);
  if (!xml) return {};
  auto& reader = xml->reader();
  std::string title;
  bool in_title = false;
  while (reader.next()) {
    if (reader.node() == Node::element && reader.is("title", kDublinCore))
      in_title = !reader.is_empty_element();
    else if (reader.node() == Node::end_element && reader.is("title", kDublinCore))
      break;
    else if (reader.node() == Node::text && in_title && title.size() < 4096)
      title += reader.value();
  }
  auto begin = title.find_first_not_of(" \t\r\n");
  auto end = title.find_last_not_of(" \t\r\n");
  return begin == std::string::npos ? std::string() : title.substr(begin, end - begin + 1);
}

// --- DOCX --------------------------------------------------------------------------------

/// Transitional and Strict OOXML name WordprocessingML differently.
bool is_word(std::string_view ns) {
  return ns == "http://schemas.openxmlformats.org/wordprocessingml/2006/main" ||
         ns == "http://purl.oclc.org/ooxml/wordprocessingml/main";
}

std::optional<std::string> word_attribute(const XmlReader& reader, std::string_view name) {
  auto value = reader.attribute(name, "http://schemas.openxmlformats.org/wordprocessingml/2006/main");
  return value ? value : reader.attribute(name, "http://purl.oclc.org/ooxml/wordprocessingml/main");
}

/// A heading level from a style's name as Word writes it ("heading 2", "Title"), 0 for body.
int heading_level_of_name(std::string_view name) {
  auto lowered = lower(name);
  if (lowered == "title") return 1;
  for (std::string_view prefix : {"heading ", "heading"})
    if (lowered.starts_with(prefix))
      if (auto level = number(std::string_view(lowered).substr(prefix.size())); level && *level >= 1 && *level <= 9)
        return *level;
  return 0;
}

/// Paragraph style id → heading level, from word/styles.xml. Style ids are localised
/// ("berschrift1" in a German Word), their names and outline levels are not.
std::unordered_map<std::string, int> heading_styles(const ZipArchive& archive, std::string_view file_name,
                                                    const ExtractLimits& limits) {
  std::unordered_map<std::string, int> levels;
  if (!archive.contains("word/styles.xml")) return levels;
  auto xml = ZipXml::open(archive, "word/styles.xml", limits.max_member_bytes, file_name);
  if (!xml) return levels;
  auto& reader = xml->reader();
  std::string style;
  while (reader.next()) {
    if (reader.node() != Node::element || !is_word(reader.namespace_uri())) continue;
    auto name = reader.local_name();
    if (name == "style") {
      style = word_attribute(reader, "styleId").value_or("");
    } else if (name == "name" && !style.empty()) {
      if (auto level = heading_level_of_name(word_attribute(reader, "val").value_or("")); level > 0)
        levels[style] = level;
    } else if (name == "outlineLvl" && !style.empty()) {
      // 0-based; 9 is body text.
      if (auto level = number(word_attribute(reader, "val").value_or("")); level && *level >= 0 && *level < 9)
        levels.try_emplace(style, *level + 1);
    }
  }
  return levels;
}

}  // namespace

core::Result<ExtractedText> extract_docx(std::string_view bytes, std::string_view file_name,
                                         const ExtractLimits& limits) {
  auto archive = ZipArchive::open(bytes, file_name);
  if (!archive) return archive.error();
  auto styles = heading_styles(*archive, file_name, limits);
  auto xml = ZipXml::open(*archive, "word/document.xml", limits.max_member_bytes, file_name);
  if (!xml) return xml.error();
  auto& reader = xml->reader();
  OutlineText text(limits.max_text_bytes);
  bool in_text = false;  // inside a w:t, whose characters are the document's text
  bool is_more = reader.next();
  for (; is_more; is_more = reader.next()) {
    auto node = reader.node();
    if (node == Node::text) {
      if (in_text) text.append(reader.value());
      continue;
    }
    if (!is_word(reader.namespace_uri())) continue;
    auto name = reader.local_name();
    if (node == Node::end_element) {
      if (name == "p")
        text.close_block();
      else if (name == "t")
        in_text = false;
      continue;
    }
    if (node != Node::element) continue;
    if (name == "p") {
      text.open_block();
      if (reader.is_empty_element()) text.close_block();
    } else if (name == "pStyle") {
      auto style = word_attribute(reader, "val").value_or("");
      auto found = styles.find(style);
      text.set_heading_level(found != styles.end() ? found->second : heading_level_of_name(style));
    } else if (name == "outlineLvl") {
      if (auto level = number(word_attribute(reader, "val").value_or("")); level && *level >= 0 && *level < 9)
        text.set_heading_level(*level + 1);
    } else if (name == "t") {
      in_text = !reader.is_empty_element();
    } else if (name == "tab") {
      text.append("\t");
    } else if (name == "br" || name == "cr") {
      text.append("\n");
    }
  }
  if (reader.has_failed()) return xml->failure();
  if (text.is_over_limit())
    return too_large(file_name, "its text is over " + std::to_string(limits.max_text_bytes >> 20) + " MiB");
  ExtractedText out;
  out.title = dublin_core_title(*archive, "docProps/core.xml", file_name);
  if (out.title.empty()) out.title = text.first_heading();
  out.text = text.take();
  return out;
}

// --- ODT ---------------------------------------------------------------------------------

namespace {

constexpr std::string_view kOdfText = "urn:oasis:names:tc:opendocument:xmlns:text:1.0";
constexpr std::string_view kOdfOffice = "urn:oasis:names:tc:opendocument:xmlns:office:1.0";

}  // namespace

core::Result<ExtractedText> extract_odt(std::string_view bytes, std::string_view file_name,
                                        const ExtractLimits& limits) {
  auto archive = ZipArchive::open(bytes, file_name);
  if (!archive) return archive.error();
  auto xml = ZipXml::open(*archive, "content.xml", limits.max_member_bytes, file_name);
  if (!xml) return xml.error();
  auto& reader = xml->reader();
  OutlineText text(limits.max_text_bytes);
  bool is_more = reader.next();
  while (is_more) {
    auto node = reader.node();
    auto ns = reader.namespace_uri();
    auto name = reader.local_name();
    if (node == Node::text) {
      text.append(reader.value());
    } else if (node == Node::element && ns == kOdfOffice && name == "annotation") {
      is_more = reader.skip();  // comments in the margin
      continue;
    } else if (node == Node::element && ns == kOdfText) {
      if (name == "p" || name == "h") {
        int level = 0;
        if (name == "h") level = number(reader.attribute("outline-level", kOdfText).value_or("1")).value_or(1);
        text.open_block(std::max(level, name == "h" ? 1 : 0));
        if (reader.is_empty_element()) text.close_block();
      } else if (name == "s") {
        // text:s is c spaces (one by default); the paragraph's tidying makes them one anyway.
        text.append(" ");
      } else if (name == "tab") {
        text.append("\t");
      } else if (name == "line-break") {
        text.append("\n");
      } else if (name == "tracked-changes" || name == "note-citation") {
        // Deleted text lives in tracked-changes; a note's number is not text.
        is_more = reader.skip();
        continue;
      }
    } else if (node == Node::end_element && ns == kOdfText && (name == "p" || name == "h")) {
      text.close_block();
    }
    is_more = reader.next();
  }
  if (reader.has_failed()) return xml->failure();
  if (text.is_over_limit())
    return too_large(file_name, "its text is over " + std::to_string(limits.max_text_bytes >> 20) + " MiB");
  ExtractedText out;
  out.title = dublin_core_title(*archive, "meta.xml", file_name);
  if (out.title.empty()) out.title = text.first_heading();
  out.text = text.take();
  return out;
}

}  // namespace sluice::rag
