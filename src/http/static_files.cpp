#include "sluice/http/static_files.hpp"

#include <fstream>
#include <functional>
#include <sstream>

namespace sluice::http {

namespace {
// Assets are versioned by the npm lock file, not by URL: a day of caching, then revalidation.
constexpr std::string_view kDefaultCacheControl = "public, max-age=86400";
}  // namespace

std::string_view StaticFiles::content_type(std::string_view name) {
  auto ends_with = [&](std::string_view suffix) { return name.ends_with(suffix); };
  if (ends_with(".js") || ends_with(".mjs")) return "text/javascript; charset=utf-8";
  if (ends_with(".css")) return "text/css; charset=utf-8";
  if (ends_with(".html")) return "text/html; charset=utf-8";
  if (ends_with(".json") || ends_with(".map")) return "application/json";
  if (ends_with(".png")) return "image/png";
  if (ends_with(".svg")) return "image/svg+xml";
  if (ends_with(".ico")) return "image/x-icon";
  if (ends_with(".woff2")) return "font/woff2";
  if (ends_with(".txt")) return "text/plain; charset=utf-8";
  return "application/octet-stream";
}

StaticFiles::File StaticFiles::read_file(const std::filesystem::path& path, std::string_view name,
                                         std::string cache_control) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream content;
  content << in.rdbuf();
  File file{content.str(), std::string(content_type(name)), {}, std::move(cache_control)};
  std::ostringstream etag;
  etag << '"' << std::hex << std::hash<std::string>{}(file.content) << '"';
  file.etag = etag.str();
  return file;
}

bool StaticFiles::load(const std::filesystem::path& directory, const std::vector<std::string>& names) {
  std::unordered_map<std::string, File> loaded;
  for (const auto& name : names) {
    if (!std::ifstream(directory / name, std::ios::binary)) return false;
    loaded.emplace(name, read_file(directory / name, name, std::string(kDefaultCacheControl)));
  }
  files_ = std::move(loaded);
  return true;
}

bool StaticFiles::load_directory(const std::filesystem::path& directory,
                                 const std::function<std::string(std::string_view name)>& cache_control,
                                 std::size_t max_files, std::uintmax_t max_bytes) {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (!fs::is_directory(directory, ec)) return false;
  std::unordered_map<std::string, File> loaded;
  std::uintmax_t total = 0;
  for (fs::recursive_directory_iterator it(directory, ec), end; !ec && it != end; it.increment(ec)) {
    if (!it->is_regular_file(ec)) continue;
    total += it->file_size(ec);
    if (loaded.size() == max_files || total > max_bytes) return false;
    auto name = fs::relative(it->path(), directory, ec).generic_string();
    loaded.emplace(name, read_file(it->path(), name, cache_control(name)));
  }
  if (ec) return false;
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
    not_modified.set_header(Field::cache_control, file.cache_control);
    return not_modified;
  }
  auto response = Response::text(file.content, file.content_type);
  response.set_header(Field::etag, file.etag);
  response.set_header(Field::cache_control, file.cache_control);
  return response;
}

}  // namespace sluice::http
