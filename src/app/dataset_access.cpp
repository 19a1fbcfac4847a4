#include "dataset_access.hpp"

#include "sluice/api/security.hpp"

#include <cstdio>

namespace sluice::app {

namespace {
std::string_view bearer_key(const http::Request& request) {
  auto header = request.header("Authorization");
  if (!header) return {};
  constexpr std::string_view kPrefix = "Bearer ";
  if (header->size() <= kPrefix.size() || header->substr(0, kPrefix.size()) != kPrefix) return {};
  return header->substr(kPrefix.size());
}
}  // namespace

std::string key_fingerprint(std::string_view key) {
  std::uint64_t hash = 1469598103934665603ull;
  for (unsigned char c : std::string_view("sluice-dataset-owner:")) hash = (hash ^ c) * 1099511628211ull;
  for (unsigned char c : key) hash = (hash ^ c) * 1099511628211ull;
  char hex[17];
  std::snprintf(hex, sizeof hex, "%016llx", static_cast<unsigned long long>(hash));
  return hex;
}

DatasetAccess::DatasetAccess(const ProtectionOptions& protection, const RagOptions& rag)
    : DatasetAccess(!protection.api_keys_file.empty() || api::ApiKeys::from_env("SLUICE_API_KEYS").size() > 0,
                    rag.admin_keys) {}

DatasetAccess::DatasetAccess(bool keys_enabled, std::vector<std::string> admin_keys)
    : keys_enabled_(keys_enabled), admin_keys_(admin_keys.begin(), admin_keys.end()) {}

std::string DatasetAccess::owner(const http::Request& request) const {
  if (!keys_enabled_) return {};
  return key_fingerprint(bearer_key(request));
}

bool DatasetAccess::sees_all(const http::Request& request) const {
  return !keys_enabled_ || admin_keys_.contains(std::string(bearer_key(request)));
}

bool DatasetAccess::may_see(const http::Request& request, const rag::Dataset& dataset) const {
  return sees_all(request) || dataset.owner == owner(request);
}

}  // namespace sluice::app
