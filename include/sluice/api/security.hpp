#pragma once
// API-key authentication: `Authorization: Bearer <key>`, keys from a file or the environment.
//
//   auto keys = std::make_shared<api::ApiKeys>(api::ApiKeys::from_file("keys.txt"));
//   app.guard(api::require_api_key(keys, {.exempt = {"/health", "/docs*"}}));  // every route but these
//   app.get("/admin", admin, {.guards = {api::require_api_key(keys)}});        // or one route

#include "sluice/http/guard.hpp"

#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace sluice::api {

/// The keys a client may present. Comparison takes the same time whatever the presented key
/// shares with a real one, and keys never appear in logs or errors.
class ApiKeys {
 public:
  explicit ApiKeys(std::vector<std::string> keys);
  /// One key per line; blank lines and lines starting with '#' are skipped. Throws
  /// std::runtime_error when the file cannot be read.
  static ApiKeys from_file(const std::filesystem::path& path);
  /// Comma-separated keys from environment variable `name` (none when unset).
  static ApiKeys from_env(const char* name);

  bool contains(std::string_view key) const;
  std::size_t size() const { return keys_.size(); }
  /// The keys themselves, taken out (to merge key sources).
  std::vector<std::string> release() && { return std::move(keys_); }

 private:
  std::vector<std::string> keys_;
};

struct AuthOptions {
  /// Route patterns that need no key ("/health"); a trailing '*' matches a prefix ("/docs*").
  std::vector<std::string> exempt;
};

/// A guard answering 401 `not_authenticated` (with `WWW-Authenticate: Bearer`) unless the
/// request carries one of `keys`.
std::shared_ptr<http::Guard> require_api_key(std::shared_ptr<const ApiKeys> keys, AuthOptions options = {});

}  // namespace sluice::api
