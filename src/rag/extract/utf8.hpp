#pragma once
// The two UTF-8 facts extraction needs: text a library hands back made valid (the store and
// the analyser read UTF-8 only), and lengths in code points (the unit of chunk offsets).

#include <cstddef>
#include <string>
#include <string_view>

namespace sluice::rag {

/// Appends `bytes` to `out` with every ill-formed sequence replaced by U+FFFD.
void append_valid_utf8(std::string& out, std::string_view bytes);

/// Code points in well-formed UTF-8 `text`.
std::size_t code_points(std::string_view text);

}  // namespace sluice::rag
