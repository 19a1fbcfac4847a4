#pragma once
// Who sees what: with API keys on, what a key creates (datasets, their jobs, files, batches,
// stored responses) belongs to that key, and keys in the admin list see everything; without
// keys, everything is shared. Every layer with owned objects asks this one (a DI singleton).

#include "sluice/http/request.hpp"

#include <optional>
#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

namespace sluice::api {

class Ownership {
 public:
  /// `keys_enabled`: whether requests carry API keys (the server's --api-keys); `admin_keys`:
  /// keys that see every owner's objects (--dataset-admin-keys).
  Ownership(bool keys_enabled, std::vector<std::string> admin_keys);

  bool keys_enabled() const { return keys_enabled_; }
  /// The owner recorded for what this request creates: a fingerprint of its API key (never
  /// the key itself); empty without keys.
  std::string owner(const http::Request& request) const;
  /// Whether the request sees every owner's objects (keys off, or an admin key).
  bool sees_all(const http::Request& request) const;
  /// Whether the request may see an object recorded with `owner`.
  bool may_see(const http::Request& request, std::string_view owner) const;
  /// The owner whose objects a listing shows; none: everyone's (jobs::JobViewer).
  std::optional<std::string> viewer(const http::Request& request) const;

 private:
  bool keys_enabled_;
  std::unordered_set<std::string> admin_keys_;
};

}  // namespace sluice::api
