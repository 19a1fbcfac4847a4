#pragma once
// An upstream that takes requests and never answers: it reports when a request has arrived and
// when its caller hung up, so tests can see a call being cancelled from the other end.

#include <atomic>
#include <chrono>
#include <cstdint>
#include <string>
#include <thread>

namespace sluice::test {

class SilentUpstream {
 public:
  /// Listens on 127.0.0.1 at a free port and serves one connection at a time on its own thread.
  SilentUpstream();
  ~SilentUpstream();
  SilentUpstream(const SilentUpstream&) = delete;
  SilentUpstream& operator=(const SilentUpstream&) = delete;

  std::uint16_t port() const { return port_; }
  std::string url(const std::string& path) const { return "http://127.0.0.1:" + std::to_string(port_) + path; }
  /// Waits up to `timeout` until `count` requests (whole heads) have arrived.
  bool wait_for_requests(int count, std::chrono::milliseconds timeout) const;
  /// Waits up to `timeout` until `count` callers have closed their connection without an answer.
  bool wait_for_hang_ups(int count, std::chrono::milliseconds timeout) const;

 private:
  void serve();
  int listener_ = -1;
  std::uint16_t port_ = 0;
  std::atomic<int> requests_{0};
  std::atomic<int> hang_ups_{0};
  std::atomic<bool> is_stopping_{false};
  std::thread thread_;
};

}  // namespace sluice::test
