#pragma once
// A small set of files served from memory (front-end assets such as Swagger UI).

#include "sluice/http/request.hpp"
#include "sluice/http/response.hpp"

#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace sluice::http {

/// Files are read once, at start-up: serving them never touches the disk on an IO thread.
/// Responses carry a content type from the extension, an ETag and a Cache-Control header;
/// `If-None-Match` with the current ETag answers 304.
class StaticFiles {
 public:
  /// Loads `names` from `directory`; returns false if any is missing (nothing is kept then).
  bool load(const std::filesystem::path& directory, const std::vector<std::string>& names);
  /// Loads every regular file under `directory`, named by its '/'-separated relative path, with
  /// the Cache-Control that `cache_control(name)` picks (a built front-end: hashed assets are
  /// immutable, its index.html is revalidated). Returns false, keeping nothing, when the
  /// directory is missing or holds more than `max_files` files or `max_bytes` bytes.
  bool load_directory(const std::filesystem::path& directory,
                      const std::function<std::string(std::string_view name)>& cache_control,
                      std::size_t max_files = 512, std::uintmax_t max_bytes = 64u << 20);
  bool empty() const { return files_.empty(); }
  /// The file `name`, or a 404 JSON error.
  Response serve(std::string_view name, const Request& request) const;

  static std::string_view content_type(std::string_view name);

 private:
  struct File {
    std::string content;
    std::string content_type;
    std::string etag;
    std::string cache_control;
  };
  static File read_file(const std::filesystem::path& path, std::string_view name, std::string cache_control);
  std::unordered_map<std::string, File> files_;
};

}  // namespace sluice::http
