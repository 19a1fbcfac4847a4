// /openapi.json and Swagger UI at /docs, installed by App::run().
#include "sluice/api/app.hpp"
#include "sluice/core/json_text.hpp"
#include "sluice/http/static_files.hpp"

#include <spdlog/spdlog.h>

#include <cstdlib>
#include <optional>

namespace sluice::api {

namespace {

namespace fs = std::filesystem;
using http::Request;
using http::Response;

const std::vector<std::string> kSwaggerFiles = {"swagger-ui.css", "swagger-ui-bundle.js",
                                                "swagger-ui-standalone-preset.js", "favicon-32x32.png",
                                                "oauth2-redirect.html"};

/// The first node_modules-like directory holding swagger-ui-dist.
std::optional<fs::path> find_assets(const fs::path& configured) {
  std::vector<fs::path> candidates;
  if (!configured.empty()) candidates.push_back(configured);
  if (const char* env = std::getenv("SLUICE_DOCS_ASSETS")) candidates.emplace_back(env);
  candidates.emplace_back("node_modules");
  std::error_code ec;
  auto exe_dir = fs::read_symlink("/proc/self/exe", ec).parent_path();
  if (!ec) {
    candidates.push_back(exe_dir / "../../node_modules");  // build/<preset>/sluice in a checkout
    candidates.push_back(exe_dir / "../node_modules");
    candidates.push_back(exe_dir / "../share/sluice/node_modules");  // installed (Docker image)
  }
  for (const auto& dir : candidates)
    if (fs::exists(dir / "swagger-ui-dist" / "swagger-ui-bundle.js", ec)) return dir;
  return std::nullopt;
}

std::string swagger_page(const std::string& title, const std::string& openapi_url, const std::string& assets) {
  return "<!doctype html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>" + title +
         " - Swagger UI</title>\n<link rel=\"stylesheet\" href=\"" + assets + "/swagger-ui.css\">\n<link rel=\"icon\" href=\"" +
         assets + "/favicon-32x32.png\">\n</head>\n<body>\n<div id=\"swagger-ui\"></div>\n<script src=\"" + assets +
         "/swagger-ui-bundle.js\"></script>\n<script src=\"" + assets +
         "/swagger-ui-standalone-preset.js\"></script>\n<script>\nwindow.ui = SwaggerUIBundle({\n  url: '" + openapi_url +
         "',\n  dom_id: '#swagger-ui',\n  deepLinking: true,\n  presets: [SwaggerUIBundle.presets.apis, "
         "SwaggerUIStandalonePreset],\n  layout: 'BaseLayout',\n  oauth2RedirectUrl: window.location.origin + '" + assets +
         "/oauth2-redirect.html'\n});\n</script>\n</body>\n</html>\n";
}

}  // namespace

void App::install_docs() {
  if (!docs_.openapi_url.empty()) {
    // Routes are fixed once the server runs: serialise the document once.
    auto document = std::make_shared<const std::string>(core::json_text(openapi()));
    router_.add(http::Verb::get, docs_.openapi_url, [document](Request&) -> boost::asio::awaitable<Response> {
      co_return Response::text(*document, "application/json");
    });
  }
  if (docs_.docs_url.empty() || docs_.openapi_url.empty()) return;

  auto assets = std::make_shared<http::StaticFiles>();
  auto dir = find_assets(docs_.assets_dir);
  if (!dir || !assets->load(*dir / "swagger-ui-dist", kSwaggerFiles)) {
    spdlog::warn("Swagger UI assets not found (run scripts/setup, or set SLUICE_DOCS_ASSETS to a node_modules "
                 "directory): {} answers 503",
                 docs_.docs_url);
    router_.add(http::Verb::get, docs_.docs_url, [](Request&) -> boost::asio::awaitable<Response> {
      co_return Response::error({503, "docs_unavailable", "Swagger UI assets are not installed", nullptr});
    });
    return;
  }
  auto page = std::make_shared<const std::string>(swagger_page(info_.title, docs_.openapi_url, docs_.docs_url + "/assets"));
  router_.add(http::Verb::get, docs_.docs_url, [page](Request&) -> boost::asio::awaitable<Response> {
    co_return Response::text(*page, "text/html; charset=utf-8");
  });
  router_.add(http::Verb::get, docs_.docs_url + "/assets/{file}",
              [assets](Request& req) -> boost::asio::awaitable<Response> {
                co_return assets->serve(*req.path_param("file"), req);
              });
}

}  // namespace sluice::api
