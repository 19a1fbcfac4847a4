#include "zip_xml.hpp"

#include "document_extract.hpp"

namespace sluice::rag {

core::Result<ZipXml> ZipXml::open(const ZipArchive& archive, std::string_view member, std::size_t max_bytes,
                                  std::string_view file_name) {
  auto opened = archive.open_member(member, max_bytes);
  if (!opened) return opened.error();
  return ZipXml(std::make_unique<ZipMember>(std::move(*opened)), std::string(member), file_name);
}

ZipXml::ZipXml(std::unique_ptr<ZipMember> member, std::string name, std::string_view file_name)
    : member_(std::move(member)), name_(std::move(name)), file_name_(file_name) {
  reader_ = std::make_unique<XmlReader>(
      [member = member_.get()](char* buffer, std::size_t size) { return member->read(buffer, size); });
}

core::Error ZipXml::failure() const {
  if (member_->error()) return *member_->error();
  return unreadable(file_name_, name_ + " is not well-formed XML (" + reader_->failure() + ")");
}

}  // namespace sluice::rag
