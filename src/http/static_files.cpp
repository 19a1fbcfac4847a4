#include "sluice/http/static_files.hpp"

#include <fstream>
#include <functional>
#include <sstream>

namespace sluice::http {

std::string_view StaticFiles::content_type(std::string_view name) {
  auto ends_with = [&](std::string_view suffix) { return name.ends_with(suffix); };
  if (ends_with(".js")) return "text/javascript; charset=utf-8";
  if (ends_with(".css")) return "text/css; charset=utf-8";
  if (ends_with(".html")) return "text/html; charset=utf-8";
  if (ends_with(".json") || ends_with(".map")) return "application/json";
  if (ends_with(".png")) return "image/png";
  if (ends_with(".svg")) return "image/svg+xml";
  return "application/octet-stream";
}

bool StaticFiles::load(const std::filesystem::path& directory, const std::vector<std::string>& names) {
  std::unordered_map<std::string, File> loaded;
  for (const auto& name : names) {
    std::ifstream in(directory / name, std::ios::binary);
    if (!in) return false;
    std::ostringstream content;
    content << in.rdbuf();
    File file{content.str(), std::string(content_type(name)), {}};
    std::ostringstream etag;
    etag << '"' << std::hex << std::hash<std::string>{}(file.content) << '"';
    file.etag = etag.str();
    loaded.emplace(name, std::move(file));
  }
  files_ = std::move(loaded);
  return true;
}

Response StaticFiles::serve(std::string_view name, const Request& request) const {
  auto it = files_.find(std::string(name));
  if (it == files_.end()) return Response::error(core::not_found("Not Found"));
  const File& file = it->second;
  if (request.header("If-None-Match") == std::string_view(file.etag)) {
    Response not_modified(Status::not_modified);
    not_modified.set_header(Field::etag, file.etag);
    return not_modified;
  }
  auto response = Response::text(file.content, file.content_type);
  response.set_header(Field::etag, file.etag);
  // Assets are versioned by the npm lock file, not by URL: a day of caching, then revalidation.
  response.set_header(Field::cache_control, "public, max-age=86400");
  return response;
}

}  // namespace sluice::http
