#pragma once
// A small set of files served from memory (front-end assets such as Swagger UI).

#include "sluice/http/request.hpp"
#include "sluice/http/response.hpp"

#include <filesystem>
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
  bool empty() const { return files_.empty(); }
  /// The file `name`, or a 404 JSON error.
  Response serve(std::string_view name, const Request& request) const;

  static std::string_view content_type(std::string_view name);

 private:
  struct File {
    std::string content;
    std::string content_type;
    std::string etag;
  };
  std::unordered_map<std::string, File> files_;
};

}  // namespace sluice::http
