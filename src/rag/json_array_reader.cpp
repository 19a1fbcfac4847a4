#include "json_array_reader.hpp"

#include <boost/json/basic_parser_impl.hpp>
#include <boost/json/value_stack.hpp>

#include <deque>

namespace sluice::rag {

namespace json = boost::json;

namespace {

// Feeding the parser this much at a time bounds what one call builds beyond `count`: the
// elements that end within one piece.
constexpr std::size_t kPiece = 64 * 1024;

/// The SAX events of the whole body; those inside an element of the array member go to a
/// value_stack, which yields the element when it closes.
class ElementHandler {
 public:
  static constexpr std::size_t max_object_size = json::object::max_size();
  static constexpr std::size_t max_array_size = json::array::max_size();
  static constexpr std::size_t max_key_size = json::string::max_size();
  static constexpr std::size_t max_string_size = json::string::max_size();

  explicit ElementHandler(std::string member) : member_(std::move(member)) {}

  bool on_document_begin(json::error_code&) { return true; }
  bool on_document_end(json::error_code&) { return true; }
  bool on_object_begin(json::error_code& ec) { return open(ec, false); }
  bool on_object_end(std::size_t n, json::error_code&) {
    if (building()) stack_.push_object(n);
    return close();
  }
  bool on_array_begin(json::error_code& ec) { return open(ec, true); }
  bool on_array_end(std::size_t n, json::error_code&) {
    if (in_array_ && depth_ == 2) {  // the member's array itself
      in_array_ = false;
      depth_ = 1;
      return true;
    }
    if (building()) stack_.push_array(n);
    return close();
  }
  bool on_key_part(json::string_view s, std::size_t, json::error_code&) {
    if (building()) stack_.push_chars(s);
    else if (depth_ == 1) key_part(s);
    return true;
  }
  bool on_key(json::string_view s, std::size_t, json::error_code&) {
    if (building()) {
      stack_.push_key(s);
    } else if (depth_ == 1) {
      key_part(s);
      is_member_next_ = key_ == member_;
      key_.clear();
    }
    return true;
  }
  bool on_string_part(json::string_view s, std::size_t, json::error_code& ec) {
    if (!scalar(ec)) return false;
    if (building() || is_scalar_element_) stack_.push_chars(s);
    return true;
  }
  bool on_string(json::string_view s, std::size_t, json::error_code& ec) {
    return scalar(ec) && finish_scalar([&] { stack_.push_string(s); });
  }
  bool on_number_part(json::string_view, json::error_code& ec) { return scalar(ec); }
  bool on_int64(std::int64_t i, json::string_view, json::error_code& ec) {
    return scalar(ec) && finish_scalar([&] { stack_.push_int64(i); });
  }
  bool on_uint64(std::uint64_t u, json::string_view, json::error_code& ec) {
    return scalar(ec) && finish_scalar([&] { stack_.push_uint64(u); });
  }
  bool on_double(double d, json::string_view, json::error_code& ec) {
    return scalar(ec) && finish_scalar([&] { stack_.push_double(d); });
  }
  bool on_bool(bool b, json::error_code& ec) {
    return scalar(ec) && finish_scalar([&] { stack_.push_bool(b); });
  }
  bool on_null(json::error_code& ec) {
    return scalar(ec) && finish_scalar([&] { stack_.push_null(); });
  }
  bool on_comment_part(json::string_view, json::error_code&) { return true; }
  bool on_comment(json::string_view, json::error_code&) { return true; }

  std::deque<json::value>& ready() { return ready_; }
  bool found_member() const { return found_member_; }
  bool has_wrong_shape() const { return has_wrong_shape_; }

 private:
  // Depths: 1 inside the top-level object, 2 inside the member's array, 3+ inside an element.
  bool building() const { return in_array_ && depth_ >= 3; }

  bool open(json::error_code& ec, bool is_array) {
    if (depth_ == 0 && is_array) return wrong_shape(ec);  // the body must be an object
    if (depth_ == 1 && is_member_next_) {
      is_member_next_ = false;
      if (!is_array) return wrong_shape(ec);
      in_array_ = found_member_ = true;
      depth_ = 2;
      return true;
    }
    if (in_array_ && depth_ == 2) stack_.reset();  // an element begins
    ++depth_;
    return true;
  }

  bool close() {
    --depth_;
    if (in_array_ && depth_ == 2) ready_.push_back(stack_.release());  // an element ends
    return true;
  }

  /// Before a scalar's events: at the top level or as the member's value, the shape is wrong.
  bool scalar(json::error_code& ec) {
    if (depth_ == 0 || (depth_ == 1 && is_member_next_)) return wrong_shape(ec);
    if (in_array_ && depth_ == 2 && !is_scalar_element_) {
      stack_.reset();
      is_scalar_element_ = true;
    }
    return true;
  }

  template <class Push>
  bool finish_scalar(Push push) {
    if (building()) {
      push();
    } else if (is_scalar_element_) {
      push();
      ready_.push_back(stack_.release());
      is_scalar_element_ = false;
    } else if (depth_ == 1) {
      is_member_next_ = false;  // another member's value
    }
    return true;
  }

  void key_part(json::string_view s) {
    // Only equality with the member name matters: a longer key need not be kept whole.
    if (key_.size() <= member_.size()) key_.append(s.data(), std::min(s.size(), member_.size() + 1 - key_.size()));
  }

  bool wrong_shape(json::error_code& ec) {
    has_wrong_shape_ = true;
    ec = json::error::syntax;
    return false;
  }

  std::string member_;
  std::string key_;
  json::value_stack stack_;
  std::deque<json::value> ready_;
  std::size_t depth_ = 0;
  bool is_member_next_ = false;
  bool in_array_ = false;
  bool is_scalar_element_ = false;
  bool found_member_ = false;
  bool has_wrong_shape_ = false;
};

}  // namespace

struct JsonArrayReader::Parser {
  explicit Parser(const std::string& member) : sax({}, member) {}
  json::basic_parser<ElementHandler> sax;
};

JsonArrayReader::JsonArrayReader(std::string_view body, std::string member)
    : body_(body), member_(std::move(member)), parser_(std::make_unique<Parser>(member_)) {}

JsonArrayReader::~JsonArrayReader() = default;

core::Result<std::vector<json::value>> JsonArrayReader::next(std::size_t count) {
  auto& sax = parser_->sax;
  auto& ready = sax.handler().ready();
  auto shape_error = [&] {
    return core::validation_error({{"missing",
                                    {"body", member_},
                                    "Field required: an object with a list of " + member_,
                                    nullptr}});
  };
  while (ready.size() < count && !sax.done()) {
    const std::size_t size = std::min(kPiece, body_.size() - fed_);
    const bool more = fed_ + size < body_.size();
    json::error_code ec;
    // With more = false the parser also checks that nothing but whitespace follows.
    fed_ += sax.write_some(more, body_.data() + fed_, size, ec);
    if (ec) {
      if (sax.handler().has_wrong_shape()) return shape_error();
      return core::validation_error({{"json_invalid", {"body"}, "JSON decode error: " + ec.message(), nullptr}});
    }
  }
  if (sax.done()) {
    if (!sax.handler().found_member()) return shape_error();
    // The parser stops at the end of the value: what follows may only be whitespace.
    if (body_.find_first_not_of(" \t\r\n", fed_) != std::string_view::npos)
      return core::validation_error({{"json_invalid", {"body"}, "JSON decode error: extra data after the object", nullptr}});
  }
  std::vector<json::value> out;
  while (!ready.empty() && out.size() < count) {
    out.push_back(std::move(ready.front()));
    ready.pop_front();
  }
  return out;
}

}  // namespace sluice::rag
