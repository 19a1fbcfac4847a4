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
  enum class Mode { serve, worker };
  /// Runs `sluice serve --host 127.0.0.1 --port 0 <args>` and waits for it to listen, or
  /// `sluice worker <args>` and waits for it to run. Without --data-dir in `args`, the process
  /// gets a fresh temporary one (see data_dir()).
  explicit ServerProcess(const std::vector<std::string>& args, Mode mode = Mode::serve);
  /// Kills the process if it is still running.
  ~ServerProcess();
  ServerProcess(const ServerProcess&) = delete;
  ServerProcess& operator=(const ServerProcess&) = delete;

  std::uint16_t port() const { return port_; }
  int pid() const { return pid_; }
  const std::string& data_dir() const { return data_dir_; }
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
  std::string data_dir_;
};

/// What a `sluice` run that is expected to end by itself did: its exit status and its output
/// (stdout and stderr together).
struct Finished {
  int exit_status = -1;  // -1: still running after the timeout (then killed)
  std::string output;
};

/// Runs `sluice <args>` to its end, at most `timeout`: for start-up errors.
Finished run_sluice(const std::vector<std::string>& args,
                    std::chrono::milliseconds timeout = std::chrono::seconds(20));

}  // namespace sluice::test
