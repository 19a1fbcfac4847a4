#include "xml_reader.hpp"

#include <libxml/parser.h>
#include <libxml/xmlreader.h>

#include <climits>
#include <mutex>

namespace sluice::rag {

namespace {

// No network, no DTD, no entity substitution (so no XML_PARSE_NOENT); libxml2's own errors are
// collected, not printed.
constexpr int kParseOptions = XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING | XML_PARSE_NOCDATA;

/// libxml2 must be initialised once before threads use it (its documentation's rule).
void init_libxml() {
  static std::once_flag once;
  std::call_once(once, [] { xmlInitParser(); });
}

std::string_view view(const xmlChar* text) {
  return text ? std::string_view(reinterpret_cast<const char*>(text)) : std::string_view();
}

}  // namespace

struct XmlReader::State {
  Pull pull;
  xmlTextReaderPtr reader = nullptr;
  std::string failure;

  static int read(void* context, char* buffer, int size) {
    auto* state = static_cast<State*>(context);
    auto got = state->pull(buffer, static_cast<std::size_t>(size));
    return got < 0 ? -1 : static_cast<int>(got);
  }
  static int close(void*) { return 0; }
  static void on_error(void* context, xmlErrorPtr error) {
    auto* state = static_cast<State*>(context);
    if (state->failure.empty() && error && error->level >= XML_ERR_ERROR && error->message) {
      state->failure = error->message;
      while (!state->failure.empty() && state->failure.back() == '\n') state->failure.pop_back();
      state->failure += " at line " + std::to_string(error->line);
    }
  }
};

XmlReader::XmlReader(Pull pull) : state_(std::make_unique<State>()) {
  init_libxml();
  state_->pull = std::move(pull);
  state_->reader = xmlReaderForIO(&State::read, &State::close, state_.get(), nullptr, nullptr, kParseOptions);
  if (state_->reader)
    xmlTextReaderSetStructuredErrorHandler(state_->reader, &State::on_error, state_.get());
  else
    has_failed_ = true;
}

XmlReader::XmlReader(std::string_view bytes)
    : XmlReader([bytes, at = std::size_t{0}](char* buffer, std::size_t size) mutable -> long {
        auto n = std::min(size, bytes.size() - at);
        std::copy_n(bytes.data() + at, n, buffer);
        at += n;
        return static_cast<long>(n);
      }) {}

XmlReader::~XmlReader() {
  if (state_->reader) xmlFreeTextReader(state_->reader);
}

bool XmlReader::next() {
  if (has_failed_) return false;
  auto result = xmlTextReaderRead(state_->reader);
  if (result < 0) has_failed_ = true;
  return result == 1;
}

bool XmlReader::skip() {
  if (has_failed_) return false;
  if (is_empty_element()) return next();
  auto result = xmlTextReaderNext(state_->reader);
  if (result < 0) has_failed_ = true;
  return result == 1;
}

std::string XmlReader::failure() const {
  return state_->failure.empty() ? std::string("malformed XML") : state_->failure;
}

XmlReader::Node XmlReader::node() const {
  switch (xmlTextReaderNodeType(state_->reader)) {
    case XML_READER_TYPE_ELEMENT:
      return Node::element;
    case XML_READER_TYPE_END_ELEMENT:
      return Node::end_element;
    case XML_READER_TYPE_TEXT:
    case XML_READER_TYPE_CDATA:
    case XML_READER_TYPE_WHITESPACE:
    case XML_READER_TYPE_SIGNIFICANT_WHITESPACE:
      return Node::text;
    default:
      return Node::other;
  }
}

bool XmlReader::is_empty_element() const { return xmlTextReaderIsEmptyElement(state_->reader) == 1; }

std::string_view XmlReader::local_name() const { return view(xmlTextReaderConstLocalName(state_->reader)); }

std::string_view XmlReader::namespace_uri() const { return view(xmlTextReaderConstNamespaceUri(state_->reader)); }

std::string_view XmlReader::value() const { return view(xmlTextReaderConstValue(state_->reader)); }

std::optional<std::string> XmlReader::attribute(std::string_view local_name, std::string_view namespace_uri) const {
  const std::string name(local_name), ns(namespace_uri);
  auto* name_text = reinterpret_cast<const xmlChar*>(name.c_str());
  auto* value =
      ns.empty() ? xmlTextReaderGetAttribute(state_->reader, name_text)
                 : xmlTextReaderGetAttributeNs(state_->reader, name_text, reinterpret_cast<const xmlChar*>(ns.c_str()));
  if (!value) return std::nullopt;
  std::string out(reinterpret_cast<const char*>(value));
  xmlFree(value);
  return out;
}

}  // namespace sluice::rag
