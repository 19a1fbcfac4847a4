#pragma once
// One place that configures logging for the library and the server.

#include <string_view>

namespace sluice::core {

/// Sets the default spdlog logger: stderr, timestamped, at `level`
/// (trace, debug, info, warn, error, critical, off). Unknown levels fall back to info.
void configure_logging(std::string_view level);

}  // namespace sluice::core
