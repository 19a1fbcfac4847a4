// EPUB: the spine's XHTML files in reading order (META-INF/container.xml names the package,
// the package's spine orders its manifest), headings and paragraphs kept as in DOCX.
#include "document_extract.hpp"
#include "outline_text.hpp"
#include "zip_xml.hpp"

#include <unordered_map>
#include <vector>

namespace sluice::rag {

namespace {

using Node = XmlReader::Node;

constexpr std::string_view kContainer = "urn:oasis:names:tc:opendocument:xmlns:container";
constexpr std::string_view kPackage = "http://www.idpf.org/2007/opf";
constexpr std::string_view kXhtml = "http://www.w3.org/1999/xhtml";

struct Package {
  std::string title;
  std::vector<std::string> spine;  // member names, in reading order
};

/// The member an href of the package names: relative to the package's folder, "../" resolved.
std::string member_of(std::string_view package_path, std::string_view href) {
  href = href.substr(0, href.find('#'));
  auto slash = package_path.rfind('/');
  std::string base(slash == std::string_view::npos ? "" : package_path.substr(0, slash + 1));
  while (href.starts_with("../")) {
    href.remove_prefix(3);
    auto up = base.size() > 1 ? base.rfind('/', base.size() - 2) : std::string::npos;
    base = up == std::string::npos ? "" : base.substr(0, up + 1);
  }
  return base + std::string(href);
}

core::Result<Package> read_package(const ZipArchive& archive, std::string_view file_name, const ExtractLimits& limits) {
  constexpr std::size_t kPackageBytes = 8u << 20;  // a package lists files; 8 MiB is thousands of them
  std::string package_path;
  {
    auto xml = ZipXml::open(archive, "META-INF/container.xml", kPackageBytes, file_name);
    if (!xml) return xml.error();
    while (package_path.empty() && xml->reader().next())
      if (xml->reader().node() == Node::element && xml->reader().is("rootfile", kContainer))
        package_path = xml->reader().attribute("full-path", "").value_or("");
    if (xml->reader().has_failed()) return xml->failure();
  }
  if (package_path.empty()) return unreadable(file_name, "META-INF/container.xml names no package");
  auto xml = ZipXml::open(archive, package_path, kPackageBytes, file_name);
  if (!xml) return xml.error();
  auto& reader = xml->reader();
  Package out;
  std::unordered_map<std::string, std::string> manifest;  // id → member
  std::vector<std::string> order;                         // idrefs
  bool in_title = false;
  while (reader.next()) {
    auto node = reader.node();
    if (node == Node::text && in_title) out.title += reader.value();
    if (node == Node::end_element && reader.local_name() == "title") in_title = false;
    if (node != Node::element) continue;
    if (reader.local_name() == "title" && out.title.empty()) in_title = !reader.is_empty_element();
    if (reader.namespace_uri() != kPackage) continue;
    if (reader.local_name() == "item")
      manifest[reader.attribute("id", "").value_or("")] =
          member_of(package_path, reader.attribute("href", "").value_or(""));
    else if (reader.local_name() == "itemref" && order.size() < limits.max_pages)
      order.push_back(reader.attribute("idref", "").value_or(""));
  }
  if (reader.has_failed()) return xml->failure();
  for (const auto& id : order)
    if (auto found = manifest.find(id); found != manifest.end()) out.spine.push_back(found->second);
  return out;
}

int heading_level(std::string_view tag) {
  return tag.size() == 2 && tag[0] == 'h' && tag[1] >= '1' && tag[1] <= '6' ? tag[1] - '0' : 0;
}

bool is_block(std::string_view tag) {
  for (std::string_view block :
       {"p", "div", "li", "blockquote", "pre", "td", "th", "dt", "dd", "figcaption", "section"})
    if (tag == block) return true;
  return heading_level(tag) > 0;
}

/// One XHTML file of the spine into `text`; the bytes it expanded to.
core::Result<std::size_t> read_chapter(const ZipArchive& archive, const std::string& member, std::string_view file_name,
                                       const ExtractLimits& limits, OutlineText& text) {
  auto xml = ZipXml::open(archive, member, limits.max_member_bytes, file_name);
  if (!xml) return xml.error();
  auto& reader = xml->reader();
  bool is_more = reader.next();
  while (is_more) {
    auto node = reader.node();
    auto tag = reader.local_name();
    if (node == Node::text) {
      text.append(reader.value());
    } else if (node == Node::element && reader.namespace_uri() == kXhtml) {
      if (tag == "head" || tag == "script" || tag == "style") {
        is_more = reader.skip();
        continue;
      }
      if (is_block(tag)) {
        text.open_block(heading_level(tag));
        if (reader.is_empty_element()) text.close_block();
      } else if (tag == "br") {
        text.append("\n");
      }
    } else if (node == Node::end_element && reader.namespace_uri() == kXhtml && is_block(tag)) {
      text.close_block();
    }
    is_more = reader.next();
  }
  if (reader.has_failed()) return xml->failure();
  return xml->bytes_read();
}

}  // namespace

core::Result<ExtractedText> extract_epub(std::string_view bytes, std::string_view file_name,
                                         const ExtractLimits& limits) {
  auto archive = ZipArchive::open(bytes, file_name);
  if (!archive) return archive.error();
  auto package = read_package(*archive, file_name, limits);
  if (!package) return package.error();
  OutlineText text(limits.max_text_bytes);
  // Each chapter is bounded as a member; all of them together too, or two thousand chapters of
  // blanks would each expand to the bound.
  const std::size_t max_total = 4 * limits.max_member_bytes;
  std::size_t expanded = 0;
  for (const auto& member : package->spine) {
    auto read = read_chapter(*archive, member, file_name, limits, text);
    if (!read) return read.error();
    expanded += *read;
    if (expanded > max_total)
      return too_large(file_name, "its chapters expand past " + std::to_string(max_total >> 20) + " MiB");
    if (text.is_over_limit())
      return too_large(file_name, "its text is over " + std::to_string(limits.max_text_bytes >> 20) + " MiB");
  }
  ExtractedText out;
  out.title = package->title.substr(0, 4096);
  if (out.title.empty()) out.title = text.first_heading();
  out.text = text.take();
  return out;
}

}  // namespace sluice::rag
