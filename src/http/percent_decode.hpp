#pragma once
// Percent-decoding of path segments and query components.

#include <optional>
#include <string>
#include <string_view>

namespace sluice::http::detail {

/// Decodes %XX escapes (and '+' as a space when `plus_is_space`, as in query strings);
/// nullopt for a malformed escape. Hand-written: with Boost.URL 1.81s decoding
/// params_view read past the end of the last value in our tests.
std::optional<std::string> percent_decode(std::string_view text, bool plus_is_space);

}  // namespace sluice::http::detail
