#pragma once
// A real redis-server (Debian's) on a free loopback port, in a temporary directory, with
// append-only persistence so that a restart keeps every acknowledged write.

#include <cstdint>
#include <string>

namespace sluice::test {

class RedisServer {
 public:
  /// With a `password`, clients must AUTH (`--requirepass`); url() carries it.
  explicit RedisServer(std::string password = {});
  ~RedisServer();
  RedisServer(const RedisServer&) = delete;
  RedisServer& operator=(const RedisServer&) = delete;

  std::uint16_t port() const { return port_; }
  std::string url() const {
    return "redis://" + (password_.empty() ? "" : ":" + password_ + "@") + "127.0.0.1:" + std::to_string(port_);
  }
  /// Stops the server (SHUTDOWN, so the append-only file is complete) and starts it again.
  void restart();
  void stop();
  /// Starts the server and returns once it answers PING (not just accepts connections: while it
  /// replays its append-only file it answers LOADING).
  void start();

 private:
  std::string password_;
  std::string dir_;
  std::uint16_t port_ = 0;
  int pid_ = -1;
};

}  // namespace sluice::test
