#include "sluice/http/multipart.hpp"

#include <algorithm>
#include <functional>

namespace sluice::http {

namespace {

constexpr std::size_t kMaxHeaderBytes = 8 * 1024;
constexpr std::string_view kCrlf = "\r\n";

core::Error invalid(std::string message) { return core::Error{400, "invalid_multipart", std::move(message), nullptr}; }

char lower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) { return lower(x) == lower(y); });
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

/// Reads one `key=value` parameter of a header value from `s` (after its ';'): the value may be
/// a quoted string with backslash escapes. Leaves `s` after the parameter.
std::pair<std::string, std::string> next_parameter(std::string_view& s) {
  s = trim(s);
  auto equals = s.find_first_of("=;");
  std::string key(trim(s.substr(0, equals)));
  std::transform(key.begin(), key.end(), key.begin(), lower);
  if (equals == std::string_view::npos || s[equals] == ';') {
    s = equals == std::string_view::npos ? std::string_view{} : s.substr(equals + 1);
    return {std::move(key), {}};
  }
  s = trim(s.substr(equals + 1));
  std::string value;
  if (!s.empty() && s.front() == '"') {
    std::size_t i = 1;
    for (; i < s.size() && s[i] != '"'; ++i) {
      if (s[i] == '\\' && i + 1 < s.size()) ++i;
      value += s[i];
    }
    s = i < s.size() ? s.substr(i + 1) : std::string_view{};
    auto semicolon = s.find(';');
    s = semicolon == std::string_view::npos ? std::string_view{} : s.substr(semicolon + 1);
  } else {
    auto semicolon = s.find(';');
    value = std::string(trim(s.substr(0, semicolon)));
    s = semicolon == std::string_view::npos ? std::string_view{} : s.substr(semicolon + 1);
  }
  return {std::move(key), std::move(value)};
}

/// Fills `part` from its header block (lines separated by CRLF, without the blank line).
std::optional<core::Error> read_headers(std::string_view headers, MultipartPart& part) {
  bool has_name = false;
  while (!headers.empty()) {
    auto end = headers.find(kCrlf);
    auto line = headers.substr(0, end);
    headers = end == std::string_view::npos ? std::string_view{} : headers.substr(end + 2);
    auto colon = line.find(':');
    if (colon == std::string_view::npos) return invalid("A part header line has no ':'");
    auto name = trim(line.substr(0, colon));
    auto value = trim(line.substr(colon + 1));
    if (iequals(name, "Content-Type")) {
      part.content_type = std::string(value);
    } else if (iequals(name, "Content-Disposition")) {
      auto semicolon = value.find(';');
      if (!iequals(trim(value.substr(0, semicolon)), "form-data"))
        return invalid("A part's Content-Disposition is not form-data");
      auto rest = semicolon == std::string_view::npos ? std::string_view{} : value.substr(semicolon + 1);
      while (!rest.empty()) {
        auto [key, text] = next_parameter(rest);
        if (key == "name") {
          part.name = std::move(text);
          has_name = true;
        } else if (key == "filename") {
          part.filename = std::move(text);
        }
      }
    }
  }
  if (!has_name) return invalid("A part has no Content-Disposition name");
  return std::nullopt;
}

}  // namespace

std::optional<std::string> multipart_boundary(std::string_view content_type) {
  auto semicolon = content_type.find(';');
  if (!iequals(trim(content_type.substr(0, semicolon)), "multipart/form-data")) return std::nullopt;
  auto rest = semicolon == std::string_view::npos ? std::string_view{} : content_type.substr(semicolon + 1);
  while (!rest.empty()) {
    auto [key, value] = next_parameter(rest);
    if (key == "boundary") {
      if (value.empty() || value.size() > 70) return std::nullopt;
      return value;
    }
  }
  return std::nullopt;
}

core::Result<std::vector<MultipartPart>> parse_multipart(std::string_view body, std::string_view boundary,
                                                         std::size_t max_parts) {
  if (boundary.empty()) return invalid("The multipart boundary is empty");
  // Every delimiter but a first one at offset 0 is preceded by CRLF, which belongs to it.
  const std::string delimiter = "\r\n--" + std::string(boundary);
  const std::boyer_moore_horspool_searcher searcher(delimiter.begin(), delimiter.end());
  auto find_delimiter = [&](std::size_t from) -> std::size_t {
    auto it = std::search(body.begin() + static_cast<std::ptrdiff_t>(from), body.end(), searcher);
    return it == body.end() ? std::string_view::npos : static_cast<std::size_t>(it - body.begin());
  };

  std::size_t position;  // just after a delimiter
  if (body.substr(0, delimiter.size() - 2) == std::string_view(delimiter).substr(2)) {
    position = delimiter.size() - 2;
  } else {
    auto first = find_delimiter(0);
    if (first == std::string_view::npos) return invalid("The body has no multipart delimiter");
    position = first + delimiter.size();
  }

  std::vector<MultipartPart> parts;
  while (true) {
    auto after = body.substr(position);
    if (after.starts_with("--")) return parts;  // the close delimiter; the epilogue is ignored
    // Transport padding (RFC 2046: linear white space) may follow a delimiter.
    while (!after.empty() && (after.front() == ' ' || after.front() == '\t')) after.remove_prefix(1);
    if (!after.starts_with(kCrlf)) return invalid("A multipart delimiter is not followed by CRLF");
    position = static_cast<std::size_t>(after.data() - body.data()) + 2;
    if (parts.size() == max_parts) return invalid("More than " + std::to_string(max_parts) + " parts");

    MultipartPart part;
    auto window = body.substr(position, kMaxHeaderBytes + 4);
    std::size_t headers_end;
    if (window.starts_with(kCrlf)) {
      headers_end = 0;  // no headers at all: a blank line at once
    } else {
      auto blank = window.find("\r\n\r\n");
      if (blank == std::string_view::npos)
        return invalid(window.size() > kMaxHeaderBytes ? "A part's headers exceed 8 KiB" : "A part's headers do not end");
      if (auto error = read_headers(window.substr(0, blank), part)) return *error;
      headers_end = blank + 2;
    }
    if (headers_end == 0) return invalid("A part has no Content-Disposition name");
    const std::size_t data_start = position + headers_end + 2;
    auto next = find_delimiter(data_start);
    if (next == std::string_view::npos) return invalid("The multipart body has no closing delimiter");
    part.data = body.substr(data_start, next - data_start);
    parts.push_back(std::move(part));
    position = next + delimiter.size();
  }
}

void fuzz_multipart(const unsigned char* data, std::size_t size) {
  std::string_view body(reinterpret_cast<const char*>(data), size);
  std::string boundary = "b";
  if (body.starts_with("--")) {
    auto end = body.find("\r\n");
    auto line = body.substr(2, end == std::string_view::npos ? std::string_view::npos : end - 2);
    if (!line.empty() && line.size() <= 70) boundary = std::string(line);
  }
  auto parts = parse_multipart(body, boundary);
  if (!parts) return;
  for (const auto& part : *parts) {
    // Every part must lie inside the input: the parser only ever hands out views of it.
    if (part.data.data() < body.data() || part.data.data() + part.data.size() > body.data() + body.size())
      __builtin_trap();
  }
  (void)multipart_boundary(body.substr(0, std::min<std::size_t>(body.size(), 200)));
}

}  // namespace sluice::http
