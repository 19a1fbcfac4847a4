#include "sluice/api/ownership.hpp"

#include <fmt/format.h>

#include <cctype>

namespace sluice::api {

namespace {
std::string_view bearer_key(const http::Request& request) {
  auto header = request.header("Authorization");
  if (!header) return {};
  constexpr std::string_view kPrefix = "Bearer ";
  if (header->size() <= kPrefix.size() || header->substr(0, kPrefix.size()) != kPrefix) return {};
  return header->substr(kPrefix.size());
}

/// The owner fingerprint of an `Authorization: Bearer KEY` header: "key:" and 16 hex digits of
/// a 64-bit hash (FNV-1a, as the rate limiter keys: no secret at rest); empty without a key.
std::string owner_of(std::string_view authorization) {
  if (authorization.size() <= 7) return "";
  std::string scheme(authorization.substr(0, 7));
  for (auto& c : scheme) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (scheme != "bearer ") return "";
  std::uint64_t hash = 1469598103934665603ull;
  for (unsigned char c : authorization.substr(7)) hash = (hash ^ c) * 1099511628211ull;
  return fmt::format("key:{:016x}", hash);
}

}  // namespace

Ownership::Ownership(bool keys_enabled, std::vector<std::string> admin_keys)
    : keys_enabled_(keys_enabled), admin_keys_(admin_keys.begin(), admin_keys.end()) {}

std::string Ownership::owner(const http::Request& request) const {
  if (!keys_enabled_) return {};
  return owner_of(request.header("Authorization").value_or(""));
}

bool Ownership::sees_all(const http::Request& request) const {
  return !keys_enabled_ || admin_keys_.contains(std::string(bearer_key(request)));
}

bool Ownership::may_see(const http::Request& request, std::string_view owner_of_object) const {
  return sees_all(request) || owner_of_object == owner(request);
}

std::optional<std::string> Ownership::viewer(const http::Request& request) const {
  if (sees_all(request)) return std::nullopt;
  return owner(request);
}

}  // namespace sluice::api
