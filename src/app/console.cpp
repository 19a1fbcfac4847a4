#include "console.hpp"

#include "sluice/http/static_files.hpp"

#include <spdlog/spdlog.h>

#include <optional>

namespace sluice::server {

namespace {

namespace fs = std::filesystem;
using http::Request;
using http::Response;

std::optional<fs::path> find_console(const fs::path& configured) {
  std::vector<fs::path> candidates;
  if (!configured.empty()) candidates.push_back(configured);
  std::error_code ec;
  auto exe_dir = fs::read_symlink("/proc/self/exe", ec).parent_path();
  if (!ec) {
    candidates.push_back(exe_dir / "console");                       // build/<preset>/sluice in a checkout
    candidates.push_back(exe_dir / "../share/sluice/console");       // installed (Docker image)
  }
  for (const auto& dir : candidates)
    if (fs::exists(dir / "index.html", ec)) return dir;
  return std::nullopt;
}

/// Vite names what it builds under assets/ by content hash: a new build is a new URL, so those
/// are cached for good; index.html, which names them, is revalidated on every load.
std::string cache_control(std::string_view name) {
  return name.starts_with("assets/") ? "public, max-age=31536000, immutable" : "no-cache";
}

// Everything the page loads comes from this server: no CDN, no inline script.
constexpr std::string_view kPolicy =
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; "
    "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

}  // namespace

void add_console(App& app, const fs::path& directory) {
  const api::RouteDoc hidden{.include_in_schema = false};
  auto files = std::make_shared<http::StaticFiles>();
  auto found = find_console(directory);
  if (!found || !files->load_directory(*found, cache_control)) {
    spdlog::warn("web console not built (cmake --build builds it from console/ once scripts/setup has installed the "
                 "npm packages; or set --console-dir): /console answers 503");
    app.get("/console", [](Request&) -> boost::asio::awaitable<Response> {
      co_return Response::error({503, "console_unavailable", "The web console is not built", nullptr});
    }, hidden);
    return;
  }
  auto page = [files](Request& request) -> boost::asio::awaitable<Response> {
    auto response = files->serve("index.html", request);
    response.set_header("Content-Security-Policy", kPolicy);
    response.set_header("X-Content-Type-Options", "nosniff");
    co_return response;
  };
  app.get("/console", page, hidden);
  app.get("/console/", page, hidden);
  app.get("/console/assets/{file}", [files](Request& request) -> boost::asio::awaitable<Response> {
    auto response = files->serve("assets/" + std::string(*request.path_param("file")), request);
    response.set_header("X-Content-Type-Options", "nosniff");
    co_return response;
  }, hidden);
}

}  // namespace sluice::server
