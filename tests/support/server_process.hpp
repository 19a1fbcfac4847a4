#pragma once
// Starts the real `sluice` binary for end-to-end tests and reads what it logs.

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace sluice::test {

class ServerProcess {
 public:
  /// Runs `sluice serve --host 127.0.0.1 --port 0 <args>` and waits for it to listen.
  explicit ServerProcess(const std::vector<std::string>& args);
  /// Kills the process if it is still running.
  ~ServerProcess();
  ServerProcess(const ServerProcess&) = delete;
  ServerProcess& operator=(const ServerProcess&) = delete;

  std::uint16_t port() const { return port_; }
  /// Sends `signal` to the server.
  void signal(int signal);
  /// Waits for the process to exit; its exit status, or nullopt after `timeout`.
  std::optional<int> wait_exit(std::chrono::milliseconds timeout);
  /// Everything the server wrote to stderr so far (its log).
  std::string log() const;
  /// Polls the log until it contains `text`, up to `timeout`.
  bool wait_for_log(const std::string& text, std::chrono::milliseconds timeout) const;

 private:
  int pid_ = -1;
  std::uint16_t port_ = 0;
  std::string log_path_;
};

}  // namespace sluice::test
