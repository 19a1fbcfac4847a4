#pragma once
// Who a request counts as, for rate limits: its client address (behind trusted proxies too),
// its API key, or anything a function derives from the request.

#include "sluice/http/request.hpp"

#include <boost/asio/ip/network_v4.hpp>
#include <boost/asio/ip/network_v6.hpp>

#include <functional>
#include <string>
#include <vector>

namespace sluice::limits {

/// Which bucket a request counts against.
using KeyFunction = std::function<std::string(const http::Request&)>;

/// Networks whose X-Forwarded-For may be believed: "10.0.0.0/8", "127.0.0.1", "::1".
class TrustedProxies {
 public:
  TrustedProxies() = default;
  /// Throws std::invalid_argument for an entry that is not an address or a CIDR network.
  explicit TrustedProxies(const std::vector<std::string>& networks);
  bool contains(const boost::asio::ip::address& address) const;
  bool empty() const { return v4_.empty() && v6_.empty(); }

 private:
  std::vector<boost::asio::ip::network_v4> v4_;
  std::vector<boost::asio::ip::network_v6> v6_;
};

/// The client's address. A peer inside `proxies` forwards for someone else: the client is then
/// the right-most X-Forwarded-For entry that is not itself a trusted proxy (entries further left
/// were written by the client and prove nothing).
std::string client_address(const http::Request& request, const TrustedProxies& proxies);
KeyFunction by_client_address(TrustedProxies proxies = {});

/// The API key of `Authorization: Bearer <key>` (hashed: rate-limit keys end up in Redis and
/// must not hold secrets); requests without one count by client address.
KeyFunction by_api_key(TrustedProxies proxies = {});

}  // namespace sluice::limits
