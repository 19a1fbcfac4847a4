#include "sluice/core/json_text.hpp"

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <string_view>

namespace sluice::core {

namespace json = boost::json;

namespace {

// Scratch room made up front: most bodies (errors, job states, a few scores) fit; longer ones
// grow geometrically.
constexpr std::size_t kInitialCapacity = 256;

// Room for the longest shortest-form double ("-2.2250738585072014e-308", 24) or 64-bit integer.
constexpr std::size_t kNumberRoom = 32;

// What follows the backslash for each byte that must be escaped; 'u' means \u00XX, 0 means
// the byte goes out as is. The same choices as Boost.JSON's serializer (so text compared by
// tests and clients is unchanged): only `"`, `\` and controls are escaped, UTF-8 passes through.
constexpr std::array<char, 256> kEscapes = [] {
  std::array<char, 256> table{};
  for (int c = 0; c < 0x20; ++c) table[c] = 'u';
  table['\b'] = 'b';
  table['\t'] = 't';
  table['\n'] = 'n';
  table['\f'] = 'f';
  table['\r'] = 'r';
  table['"'] = '"';
  table['\\'] = '\\';
  return table;
}();

/// Whether any of the eight bytes in `w` needs escaping: a control (< 0x20), `"` or `\`. Exact
/// (no false positives), with the classic SWAR "has a zero byte" test.
constexpr bool has_escape(std::uint64_t w) {
  constexpr std::uint64_t kOnes = 0x0101010101010101, kHighs = 0x8080808080808080;
  auto has_zero = [&](std::uint64_t v) { return ((v - kOnes) & ~v & kHighs) != 0; };
  return ((w - kOnes * 0x20) & ~w & kHighs) != 0 || has_zero(w ^ (kOnes * '"')) || has_zero(w ^ (kOnes * '\\'));
}

/// The index of the first byte at or after `i` that needs escaping, or s.size(). Eight bytes at a
/// time: most text has nothing to escape, and this is what every response body goes through.
std::size_t next_escape(std::string_view s, std::size_t i) {
  for (std::uint64_t w; i + 8 <= s.size(); i += 8) {
    std::memcpy(&w, s.data() + i, 8);
    if (has_escape(w)) break;
  }
  while (i < s.size() && kEscapes[static_cast<unsigned char>(s[i])] == 0) ++i;
  return i;
}

/// Writes into `out` past what it already holds. The string is grown (doubling) and written
/// through a pointer, as Boost.JSON's serialize does, instead of paying std::string's capacity
/// check on every character; the destructor trims it to what was written.
class Writer {
 public:
  explicit Writer(std::string& out) : out_(out) {
    auto size = out_.size();
    out_.resize(size + kInitialCapacity);
    pos_ = out_.data() + size;
    end_ = out_.data() + out_.size();
  }
  ~Writer() { out_.resize(static_cast<std::size_t>(pos_ - out_.data())); }
  Writer(const Writer&) = delete;
  Writer& operator=(const Writer&) = delete;

  void write(const json::value& value);
  void write(const json::object& object);
  void write(const json::array& array);

 private:
  char* room(std::size_t n) {
    if (static_cast<std::size_t>(end_ - pos_) < n) grow(n);
    return pos_;
  }
  void grow(std::size_t n);
  void put(char c) {
    *room(1) = c;
    ++pos_;
  }
  void put(std::string_view s) {
    std::memcpy(room(s.size()), s.data(), s.size());
    pos_ += s.size();
  }
  template <class Number>
  void write_number(Number n) {
    char* first = room(kNumberRoom);
    pos_ = std::to_chars(first, first + kNumberRoom, n).ptr;
  }
  /// Shortest round-trip form; an integral value keeps a ".0" (`2.0`, as Python writes it), so
  /// that a reader keeps it a double (Boost.JSON reads `2` as an integer: `as_double()` throws).
  void write_double(double d) {
    char* first = room(kNumberRoom);
    pos_ = std::to_chars(first, first + kNumberRoom, d).ptr;
    if (std::find_if(first, pos_, [](char c) { return c == '.' || c == 'e'; }) == pos_) {
      *pos_++ = '.';
      *pos_++ = '0';
    }
  }
  void write_string(std::string_view s);

  std::string& out_;
  char* pos_;  // where the next byte goes; [pos_, end_) is scratch room in out_
  char* end_;
};

void Writer::grow(std::size_t n) {
  auto size = static_cast<std::size_t>(pos_ - out_.data());
  out_.resize(std::max(out_.size() * 2, size + n));
  pos_ = out_.data() + size;
  end_ = out_.data() + out_.size();
}

void Writer::write_string(std::string_view s) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::size_t i = next_escape(s, 0);
  if (i == s.size()) {  // the common case, nothing to escape: one check for room, one copy
    char* out = room(s.size() + 2);
    out[0] = '"';
    std::memcpy(out + 1, s.data(), s.size());
    out[s.size() + 1] = '"';
    pos_ = out + s.size() + 2;
    return;
  }
  put('"');
  std::size_t run = 0;  // start of the bytes not yet written
  for (; i < s.size(); i = next_escape(s, run)) {
    put(s.substr(run, i - run));
    run = i + 1;
    auto byte = static_cast<unsigned char>(s[i]);
    char escape = kEscapes[byte];
    if (escape == 'u') {
      const char sequence[] = {'\\', 'u', '0', '0', kHex[byte >> 4], kHex[byte & 0xf]};
      put({sequence, sizeof sequence});
    } else {
      const char sequence[] = {'\\', escape};
      put({sequence, sizeof sequence});
    }
  }
  put(s.substr(run));
  put('"');
}

void Writer::write(const json::object& object) {
  put('{');
  bool is_first = true;
  for (const auto& member : object) {
    if (!is_first) put(',');
    is_first = false;
    write_string(member.key());
    put(':');
    write(member.value());
  }
  put('}');
}

void Writer::write(const json::array& array) {
  put('[');
  bool is_first = true;
  for (const auto& element : array) {
    if (!is_first) put(',');
    is_first = false;
    write(element);
  }
  put(']');
}

void Writer::write(const json::value& value) {
  switch (value.kind()) {
    case json::kind::null:
      put("null");
      return;
    case json::kind::bool_:
      put(value.get_bool() ? "true" : "false");
      return;
    case json::kind::int64:
      write_number(value.get_int64());
      return;
    case json::kind::uint64:
      write_number(value.get_uint64());
      return;
    case json::kind::double_:
      // JSON has no inf or nan; JSON.stringify writes null for them, and so do we.
      if (std::isfinite(value.get_double()))
        write_double(value.get_double());
      else
        put("null");
      return;
    case json::kind::string:
      write_string(value.get_string());
      return;
    case json::kind::array:
      write(value.get_array());
      return;
    case json::kind::object:
      write(value.get_object());
      return;
  }
}

template <class Json>
std::string text_of(const Json& document) {
  std::string out;
  append_json_text(out, document);
  return out;
}

}  // namespace

void append_json_text(std::string& out, const json::value& value) { Writer(out).write(value); }
void append_json_text(std::string& out, const json::object& object) { Writer(out).write(object); }
void append_json_text(std::string& out, const json::array& array) { Writer(out).write(array); }

std::string json_text(const json::value& value) { return text_of(value); }
std::string json_text(const json::object& object) { return text_of(object); }
std::string json_text(const json::array& array) { return text_of(array); }

}  // namespace sluice::core
