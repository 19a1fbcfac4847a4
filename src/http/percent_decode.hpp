#pragma once
// Percent-decoding of path segments and query components.

#include <optional>
#include <string>
#include <string_view>

namespace sluice::http::detail {

/// Decodes %XX escapes (and '+' as a space when `plus_is_space`, as in query strings);
/// nullopt for a malformed escape. Boost.URL's pct_string_view does the work; its
/// parse_query is not used because in 1.81 it calls strlen on the view it is given (reading
/// past the end of a target that is not NUL-terminated after the query).
std::optional<std::string> percent_decode(std::string_view text, bool plus_is_space);

}  // namespace sluice::http::detail
