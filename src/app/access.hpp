#pragma once
// Who sees what: with API keys on, what a key creates (datasets, their jobs, files, batches)
// belongs to that key, and keys in the admin list see every dataset and job; without keys,
// everything is shared.

#include "sluice/http/request.hpp"
#include "sluice/rag/dataset_store.hpp"

#include <optional>
#include <string>
#include <unordered_set>
#include <vector>

namespace sluice::app {

class Access {
 public:
  /// `keys_enabled`: Protection::requires_api_key(); `admin_keys`: --dataset-admin-keys.
  Access(bool keys_enabled, std::vector<std::string> admin_keys);

  bool keys_enabled() const { return keys_enabled_; }
  /// The owner recorded for what this request creates: a fingerprint of its API key (never
  /// the key itself); empty without keys.
  std::string owner(const http::Request& request) const;
  /// Whether the request sees every dataset and job (keys off, or an admin key).
  bool sees_all(const http::Request& request) const;
  bool may_see(const http::Request& request, const rag::Dataset& dataset) const;
  /// The owner whose jobs the request sees; none: every job (jobs::JobViewer).
  std::optional<std::string> job_viewer(const http::Request& request) const;

 private:
  bool keys_enabled_;
  std::unordered_set<std::string> admin_keys_;
};

}  // namespace sluice::app
