#pragma once
// multipart/form-data (RFC 7578) bodies: the boundary from Content-Type, and the parts of a
// body already in memory. The parts view the body: keep it alive while they are used.

#include "sluice/core/error.hpp"

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace sluice::http {

/// One form field: its name, the file name and type when it is a file upload, and its bytes.
struct MultipartPart {
  std::string name;
  std::optional<std::string> filename;
  std::string content_type;  // "" when the part has none (text/plain by RFC 7578)
  std::string_view data;
};

/// The boundary of a `multipart/form-data; boundary=...` Content-Type value; nullopt when the
/// type is another one or the boundary is missing or longer than RFC 2046's 70 characters.
std::optional<std::string> multipart_boundary(std::string_view content_type);

/// Splits `body` into its parts. Errors (400 `invalid_multipart`): no opening or closing
/// delimiter, a part without a Content-Disposition name, headers past 8 KiB, or more than
/// `max_parts` parts. Preamble and epilogue are ignored, as RFC 2046 asks.
core::Result<std::vector<MultipartPart>> parse_multipart(std::string_view body, std::string_view boundary,
                                                         std::size_t max_parts = 16);

/// Fuzzing entry point: parses `data` as a body with boundary "b" (the first line's, when it
/// starts with "--"); never throws, never reads past `size`.
void fuzz_multipart(const unsigned char* data, std::size_t size);

}  // namespace sluice::http
