#include "sluice/limits/keys.hpp"

#include <boost/beast/core/string.hpp>
#include <fmt/format.h>

#include <array>
#include <stdexcept>

namespace sluice::limits {

namespace asio = boost::asio;

TrustedProxies::TrustedProxies(const std::vector<std::string>& networks) {
  for (const auto& text : networks) {
    boost::system::error_code ec;
    const bool has_prefix = text.find('/') != std::string::npos;
    if (text.find(':') != std::string::npos) {
      auto network = has_prefix ? asio::ip::make_network_v6(text, ec)
                                : asio::ip::network_v6(asio::ip::make_address_v6(text, ec), 128);
      if (!ec) v6_.push_back(network);
    } else {
      auto network = has_prefix ? asio::ip::make_network_v4(text, ec)
                                : asio::ip::network_v4(asio::ip::make_address_v4(text, ec), 32);
      if (!ec) v4_.push_back(network);
    }
    if (ec) throw std::invalid_argument("invalid trusted proxy '" + text + "': expected an address or a CIDR network");
  }
}

namespace {

/// Whether the first `prefix` bits of `a` and `b` agree (addresses as network-order bytes).
template <std::size_t N>
bool same_prefix(const std::array<unsigned char, N>& a, const std::array<unsigned char, N>& b, unsigned prefix) {
  for (std::size_t i = 0; i < N && prefix > 0; ++i, prefix = prefix >= 8 ? prefix - 8 : 0) {
    const unsigned mask = prefix >= 8 ? 0xFF : (0xFF << (8 - prefix)) & 0xFF;
    if ((a[i] & mask) != (b[i] & mask)) return false;
  }
  return true;
}

}  // namespace

bool TrustedProxies::contains(const asio::ip::address& address) const {
  if (address.is_v4()) {
    auto bytes = address.to_v4().to_bytes();
    for (const auto& network : v4_)
      if (same_prefix(bytes, network.address().to_bytes(), network.prefix_length())) return true;
    return false;
  }
  auto v6 = address.to_v6();
  if (v6.is_v4_mapped()) return contains(asio::ip::make_address_v4(asio::ip::v4_mapped, v6));
  auto bytes = v6.to_bytes();
  for (const auto& network : v6_)
    if (same_prefix(bytes, network.address().to_bytes(), network.prefix_length())) return true;
  return false;
}

std::string client_address(const http::Request& request, const TrustedProxies& proxies) {
  asio::ip::address client = request.client_address();
  if (proxies.empty() || !proxies.contains(client)) return std::string(request.client_host());
  auto forwarded = request.header("X-Forwarded-For");
  if (!forwarded) return http::address_text(client);
  std::string_view list = *forwarded;
  while (!list.empty()) {  // right to left: each hop appended the address it saw
    auto comma = list.rfind(',');
    std::string_view entry = comma == std::string_view::npos ? list : list.substr(comma + 1);
    list = comma == std::string_view::npos ? std::string_view{} : list.substr(0, comma);
    while (!entry.empty() && entry.front() == ' ') entry.remove_prefix(1);
    while (!entry.empty() && entry.back() == ' ') entry.remove_suffix(1);
    boost::system::error_code ec;
    auto address = asio::ip::make_address(entry, ec);
    if (ec) break;  // garbage: trust nothing further left
    client = address;
    if (!proxies.contains(address)) break;
  }
  return http::address_text(client);
}

KeyFunction by_client_address(TrustedProxies proxies) {
  if (proxies.empty()) return [](const http::Request& r) { return std::string(r.client_host()); };
  return [proxies = std::move(proxies)](const http::Request& r) { return client_address(r, proxies); };
}

KeyFunction by_api_key(TrustedProxies proxies) {
  return [proxies = std::move(proxies)](const http::Request& r) -> std::string {
    auto authorization = r.header("Authorization");
    if (authorization && authorization->size() > 7 && boost::beast::iequals(authorization->substr(0, 7), "Bearer ")) {
      // 64-bit FNV-1a: a stable bucket name across processes that does not reveal the key.
      std::uint64_t hash = 1469598103934665603ull;
      for (unsigned char c : authorization->substr(7)) hash = (hash ^ c) * 1099511628211ull;
      return fmt::format("key:{:016x}", hash);
    }
    return "ip:" + client_address(r, proxies);
  };
}

}  // namespace sluice::limits
