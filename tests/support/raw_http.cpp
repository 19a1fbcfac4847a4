#include "raw_http.hpp"

#include <boost/json/parse.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <utility>

namespace sluice::test {

boost::json::value json_of(const RawResponse& response) { return boost::json::parse(response.body); }

RawConnection::RawConnection(std::uint16_t port) {
  fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(port);
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd_, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0)
    throw std::runtime_error(std::string("connect failed: ") + std::strerror(errno));
}

RawConnection::~RawConnection() {
  if (fd_ >= 0) ::close(fd_);
}

bool RawConnection::send(const std::string& bytes) {
  std::size_t sent = 0;
  while (sent < bytes.size()) {
    auto n = ::send(fd_, bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL);
    if (n <= 0) return false;
    sent += static_cast<std::size_t>(n);
  }
  return true;
}

bool RawConnection::fill(std::chrono::steady_clock::time_point deadline) {
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
  if (left.count() <= 0) return false;
  pollfd p{fd_, POLLIN, 0};
  if (::poll(&p, 1, static_cast<int>(left.count())) <= 0) return false;
  char chunk[16384];
  auto n = ::recv(fd_, chunk, sizeof chunk, 0);
  if (n <= 0) return false;
  buffer_.append(chunk, static_cast<std::size_t>(n));
  return true;
}

std::optional<RawResponse> RawConnection::read_response(std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  std::size_t head_end;
  while ((head_end = buffer_.find("\r\n\r\n")) == std::string::npos)
    if (!fill(deadline)) return std::nullopt;
  RawResponse response;
  std::string head = buffer_.substr(0, head_end);
  auto line_end = head.find("\r\n");
  std::string status_line = head.substr(0, line_end);
  response.status = std::stoi(status_line.substr(status_line.find(' ') + 1, 3));
  std::size_t position = line_end == std::string::npos ? head.size() : line_end + 2;
  while (position < head.size()) {
    auto end = head.find("\r\n", position);
    if (end == std::string::npos) end = head.size();
    std::string line = head.substr(position, end - position);
    auto colon = line.find(':');
    std::string name = line.substr(0, colon);
    std::transform(name.begin(), name.end(), name.begin(), [](unsigned char c) { return std::tolower(c); });
    std::string value = line.substr(colon + 1);
    value.erase(0, value.find_first_not_of(' '));
    response.headers[name] = value;
    position = end + 2;
  }
  std::size_t length = response.headers.count("content-length") ? std::stoul(response.headers["content-length"]) : 0;
  while (buffer_.size() < head_end + 4 + length)
    if (!fill(deadline)) return std::nullopt;
  response.body = buffer_.substr(head_end + 4, length);
  buffer_.erase(0, head_end + 4 + length);
  return response;
}

std::string RawConnection::read_some(std::chrono::milliseconds timeout) {
  if (buffer_.empty()) fill(std::chrono::steady_clock::now() + timeout);
  return std::exchange(buffer_, {});
}

bool RawConnection::is_closed_by_peer(std::chrono::milliseconds timeout) {
  pollfd p{fd_, POLLIN, 0};
  if (::poll(&p, 1, static_cast<int>(timeout.count())) <= 0) return false;
  char chunk[4096];
  auto n = ::recv(fd_, chunk, sizeof chunk, 0);
  return n <= 0;
}

std::optional<RawResponse> request(std::uint16_t port, const std::string& method, const std::string& target,
                                   const std::string& body, const std::string& extra_headers,
                                   std::chrono::milliseconds timeout) {
  RawConnection connection(port);
  std::string bytes = method + " " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\n" + extra_headers;
  if (!body.empty() || method == "POST") bytes += "Content-Length: " + std::to_string(body.size()) + "\r\n";
  bytes += "\r\n" + body;
  if (!connection.send(bytes)) return std::nullopt;
  return connection.read_response(timeout);
}

}  // namespace sluice::test
