#pragma once
// A streaming XML reader (libxml2's xmlTextReader) over bytes pulled from a source, so that a
// large document.xml is parsed as it is decompressed, never held whole. No DTD is loaded,
// nothing is fetched and entities other than the predefined five are not expanded (a billion
// laughs has nothing to laugh with).

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace sluice::rag {

class XmlReader {
 public:
  /// Fills the buffer with up to `size` bytes: the count, 0 at the end, -1 on a failure.
  using Pull = std::function<long(char* buffer, std::size_t size)>;

  enum class Node { other, element, end_element, text };

  explicit XmlReader(Pull pull);
  explicit XmlReader(std::string_view bytes);  // a document in memory
  XmlReader(const XmlReader&) = delete;
  XmlReader& operator=(const XmlReader&) = delete;
  ~XmlReader();

  /// Moves to the next node; false at the end or on malformed XML (then `has_failed()`).
  bool next();
  /// Moves past the current element's subtree (tracked changes, comments, notes).
  bool skip();
  bool has_failed() const { return has_failed_; }
  /// libxml2's description of the first fault, for the error message.
  std::string failure() const;

  Node node() const;
  /// An element with no content (<w:tab/>): no end_element follows it.
  bool is_empty_element() const;
  std::string_view local_name() const;
  std::string_view namespace_uri() const;
  /// A text node's characters (UTF-8; libxml2 has decoded and checked them).
  std::string_view value() const;
  /// The attribute `local_name` in namespace `namespace_uri` of the current element.
  std::optional<std::string> attribute(std::string_view local_name, std::string_view namespace_uri) const;

  /// Whether the current node is element `local_name` of namespace `namespace_uri`.
  bool is(std::string_view local, std::string_view ns) const { return local_name() == local && namespace_uri() == ns; }

 private:
  struct State;
  std::unique_ptr<State> state_;
  bool has_failed_ = false;
};

}  // namespace sluice::rag
