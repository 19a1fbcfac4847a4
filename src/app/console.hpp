#pragma once
// The web console at /console: a front-end built from console/ by Vite (CMake target
// sluice_console), served from memory. It uses the public API only.

#include "sluice/api/app.hpp"

#include <filesystem>

namespace sluice::server {

/// Serves the built console at /console (index.html) and /console/assets/{file}. `directory`
/// empty: looks beside the executable (<build dir>/console, ../share/sluice/console). Without
/// a built console, /console answers 503 saying how to build it.
void add_console(App& app, const std::filesystem::path& directory);

}  // namespace sluice::server
