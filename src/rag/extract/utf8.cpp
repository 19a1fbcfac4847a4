#include "utf8.hpp"

#include <algorithm>
#include <cstdint>

namespace sluice::rag {

namespace {

/// Length of the well-formed sequence at the start of `s`, 0 when it is ill-formed.
std::size_t sequence_length(std::string_view s) {
  auto c = static_cast<unsigned char>(s[0]);
  if (c < 0x80) return 1;
  std::size_t extra = 0;
  std::uint32_t cp = 0;
  if ((c & 0xE0) == 0xC0)
    extra = 1, cp = c & 0x1F;
  else if ((c & 0xF0) == 0xE0)
    extra = 2, cp = c & 0x0F;
  else if ((c & 0xF8) == 0xF0)
    extra = 3, cp = c & 0x07;
  else
    return 0;
  if (extra >= s.size()) return 0;
  for (std::size_t j = 1; j <= extra; ++j) {
    auto next = static_cast<unsigned char>(s[j]);
    if ((next & 0xC0) != 0x80) return 0;
    cp = (cp << 6) | (next & 0x3F);
  }
  // Overlong forms, surrogates and code points past U+10FFFF are not UTF-8.
  if ((extra == 1 && cp < 0x80) || (extra == 2 && (cp < 0x800 || (cp >= 0xD800 && cp <= 0xDFFF))) ||
      (extra == 3 && (cp < 0x10000 || cp > 0x10FFFF)))
    return 0;
  return extra + 1;
}

}  // namespace

void append_valid_utf8(std::string& out, std::string_view bytes) {
  std::size_t i = 0;
  while (i < bytes.size()) {
    // Runs of ASCII are the common case: copy them whole.
    auto ascii_end = std::find_if(bytes.begin() + static_cast<std::ptrdiff_t>(i), bytes.end(),
                                  [](char c) { return static_cast<unsigned char>(c) >= 0x80 || c == '\0'; });
    auto run = static_cast<std::size_t>(ascii_end - bytes.begin()) - i;
    out.append(bytes.substr(i, run));
    i += run;
    if (i == bytes.size()) break;
    if (bytes[i] == '\0') {  // NUL ends strings elsewhere (SQLite's text, C APIs): dropped
      ++i;
      continue;
    }
    auto length = sequence_length(bytes.substr(i));
    if (length == 0) {
      out += "\xEF\xBF\xBD";
      ++i;
    } else {
      out.append(bytes.substr(i, length));
      i += length;
    }
  }
}

std::size_t code_points(std::string_view text) {
  return static_cast<std::size_t>(
      std::count_if(text.begin(), text.end(), [](char c) { return (static_cast<unsigned char>(c) & 0xC0) != 0x80; }));
}

}  // namespace sluice::rag
