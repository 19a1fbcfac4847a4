#include "silent_upstream.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <stdexcept>
#include <string>

namespace sluice::test {

namespace {

bool wait_until(const std::atomic<int>& counter, int count, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (counter.load() < count) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return true;
}

}  // namespace

SilentUpstream::SilentUpstream() {
  listener_ = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof address;
  if (::bind(listener_, reinterpret_cast<sockaddr*>(&address), length) != 0 || ::listen(listener_, 16) != 0 ||
      ::getsockname(listener_, reinterpret_cast<sockaddr*>(&address), &length) != 0)
    throw std::runtime_error("SilentUpstream: cannot listen");
  port_ = ntohs(address.sin_port);
  thread_ = std::thread([this] { serve(); });
}

SilentUpstream::~SilentUpstream() {
  is_stopping_ = true;
  thread_.join();
  ::close(listener_);
}

bool SilentUpstream::wait_for_requests(int count, std::chrono::milliseconds timeout) const {
  return wait_until(requests_, count, timeout);
}

bool SilentUpstream::wait_for_hang_ups(int count, std::chrono::milliseconds timeout) const {
  return wait_until(hang_ups_, count, timeout);
}

void SilentUpstream::serve() {
  // Polls with a short timeout so that the destructor's stop is seen; one connection at a time
  // is all the tests need.
  while (!is_stopping_) {
    pollfd listening{listener_, POLLIN, 0};
    if (::poll(&listening, 1, 20) <= 0) continue;
    int fd = ::accept(listener_, nullptr, nullptr);
    if (fd < 0) continue;
    std::string head;
    bool has_counted = false;
    while (!is_stopping_) {
      pollfd connection{fd, POLLIN, 0};
      if (::poll(&connection, 1, 20) <= 0) continue;
      char chunk[4096];
      auto n = ::recv(fd, chunk, sizeof chunk, 0);
      if (n <= 0) {
        if (has_counted) ++hang_ups_;
        break;
      }
      head.append(chunk, static_cast<std::size_t>(n));
      if (!has_counted && head.find("\r\n\r\n") != std::string::npos) {
        has_counted = true;
        ++requests_;
      }
    }
    ::close(fd);
  }
}

}  // namespace sluice::test
