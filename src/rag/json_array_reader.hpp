#pragma once
// The elements of one array member of a JSON object ({"documents": [...]}), read a few at a time,
// so that a large body is never held whole as a DOM: a SAX parse (Boost.JSON's basic_parser)
// fed the body a piece at a time, each element of the array built alone (a value_stack) and
// handed out; the other members are parsed and skipped.

#include "sluice/core/error.hpp"

#include <boost/json/value.hpp>

#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace sluice::rag {

class JsonArrayReader {
 public:
  /// `body` must outlive the reader (for uploads: the mapped request body).
  JsonArrayReader(std::string_view body, std::string member);
  ~JsonArrayReader();
  JsonArrayReader(const JsonArrayReader&) = delete;
  JsonArrayReader& operator=(const JsonArrayReader&) = delete;

  /// Up to `count` more elements; empty once the body is read. A 422 when the body is not
  /// JSON (json_invalid) or has no such array member (missing); elements of any type are
  /// handed out as they are, for the caller to check.
  core::Result<std::vector<boost::json::value>> next(std::size_t count);

 private:
  struct Parser;
  std::string_view body_;
  std::string member_;
  std::size_t fed_ = 0;
  std::unique_ptr<Parser> parser_;
};

}  // namespace sluice::rag
