#pragma once
// Who may see a dataset: with API keys on, the key that created it (and admin keys); without
// keys, everyone.

#include "serve_options.hpp"

#include "sluice/http/request.hpp"
#include "sluice/rag/dataset_store.hpp"

#include <string>
#include <unordered_set>

namespace sluice::app {

class DatasetAccess {
 public:
  /// Keys are on when --api-keys-file or SLUICE_API_KEYS gives any (as Protection decides).
  DatasetAccess(const ProtectionOptions& protection, const RagOptions& rag);
  DatasetAccess(bool keys_enabled, std::vector<std::string> admin_keys);

  /// The owner recorded for what this request creates: a fingerprint of its API key (never
  /// the key itself); empty without keys.
  std::string owner(const http::Request& request) const;
  /// Whether the request sees every dataset (keys off, or an admin key).
  bool sees_all(const http::Request& request) const;
  bool may_see(const http::Request& request, const rag::Dataset& dataset) const;

 private:
  bool keys_enabled_;
  std::unordered_set<std::string> admin_keys_;
};

/// The owner fingerprint of an API key: 16 hex digits of a 64-bit hash.
std::string key_fingerprint(std::string_view key);

}  // namespace sluice::app
