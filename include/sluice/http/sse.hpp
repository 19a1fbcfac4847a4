#pragma once
// Server-Sent Events framing.

#include <string>
#include <string_view>

namespace sluice::http {

/// One SSE event: `event: <event>` (if any), `id: <id>` (if any), one `data:` line per line of
/// `data`, then a blank line.
std::string sse_event(std::string_view data, std::string_view event = {}, std::string_view id = {});

/// A comment line that keeps idle connections (and proxies) from timing out.
inline constexpr std::string_view sse_keepalive = ": keep-alive\n\n";

}  // namespace sluice::http
