#pragma once
// A deliberately dumb blocking HTTP client for tests: it sends exactly the bytes it is given,
// so tests can speak malformed, oversized, slow or pipelined HTTP to the server.

#include <boost/json/value.hpp>

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>

namespace sluice::test {

struct RawResponse {
  int status = 0;
  std::map<std::string, std::string> headers;  // names lower-cased
  std::string body;
  std::string header(const std::string& name) const {
    auto it = headers.find(name);
    return it == headers.end() ? "" : it->second;
  }
};

class RawConnection {
 public:
  explicit RawConnection(std::uint16_t port);
  ~RawConnection();
  RawConnection(const RawConnection&) = delete;
  RawConnection& operator=(const RawConnection&) = delete;

  /// Sends all of `bytes`; false when the peer has closed.
  bool send(const std::string& bytes);
  /// Reads one response (Content-Length framed); nullopt on close or after `timeout`.
  std::optional<RawResponse> read_response(std::chrono::milliseconds timeout = std::chrono::seconds(10));
  /// Whatever bytes arrive next (buffered first), or "" after `timeout` or on close.
  std::string read_some(std::chrono::milliseconds timeout);
  /// True when the server closes the connection within `timeout` (read returns 0 or a reset).
  bool is_closed_by_peer(std::chrono::milliseconds timeout);

 private:
  bool fill(std::chrono::steady_clock::time_point deadline);
  int fd_ = -1;
  std::string buffer_;
};

/// The response's body parsed as JSON (throws when it is not JSON).
boost::json::value json_of(const RawResponse& response);

/// One request on a fresh connection: "GET /health" style request line plus optional body.
std::optional<RawResponse> request(std::uint16_t port, const std::string& method, const std::string& target,
                                   const std::string& body = "", const std::string& extra_headers = "",
                                   std::chrono::milliseconds timeout = std::chrono::seconds(10));

}  // namespace sluice::test
