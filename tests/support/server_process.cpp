#include "server_process.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>

#ifndef SLUICE_BINARY
#error "SLUICE_BINARY must name the sluice executable"
#endif

namespace sluice::test {

ServerProcess::ServerProcess(const std::vector<std::string>& args, Mode mode) {
  char log_template[] = "/tmp/sluice-e2e-XXXXXX";
  int log_fd = ::mkstemp(log_template);
  log_path_ = log_template;
  int out[2];
  if (::pipe(out) != 0) throw std::runtime_error("pipe failed");

  std::vector<std::string> argv_storage{SLUICE_BINARY};
  if (mode == Mode::serve) argv_storage.insert(argv_storage.end(), {"serve", "--host", "127.0.0.1", "--port", "0"});
  else argv_storage.push_back("worker");
  auto given = std::find(args.begin(), args.end(), "--data-dir");
  if (given != args.end() && given + 1 != args.end()) {
    data_dir_ = *(given + 1);
  } else {
    char dir_template[] = "/tmp/sluice-e2e-data-XXXXXX";
    data_dir_ = ::mkdtemp(dir_template);
    argv_storage.insert(argv_storage.end(), {"--data-dir", data_dir_});
  }
  argv_storage.insert(argv_storage.end(), args.begin(), args.end());
  pid_ = ::fork();
  if (pid_ == 0) {
    ::dup2(out[1], STDOUT_FILENO);
    ::dup2(log_fd, STDERR_FILENO);
    ::close(out[0]);
    std::vector<char*> argv;
    for (auto& a : argv_storage) argv.push_back(a.data());
    argv.push_back(nullptr);
    ::execv(argv[0], argv.data());
    ::_exit(127);
  }
  ::close(out[1]);
  ::close(log_fd);

  // The server prints "sluice listening on http://127.0.0.1:PORT" once it accepts connections;
  // a worker prints "sluice worker running".
  std::string seen;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (seen.find('\n') == std::string::npos && std::chrono::steady_clock::now() < deadline) {
    pollfd p{out[0], POLLIN, 0};
    if (::poll(&p, 1, 100) <= 0) continue;
    char chunk[256];
    auto n = ::read(out[0], chunk, sizeof chunk);
    if (n <= 0) break;
    seen.append(chunk, static_cast<std::size_t>(n));
  }
  ::close(out[0]);
  if (mode == Mode::worker) {
    if (seen.find("worker running") == std::string::npos)
      throw std::runtime_error("sluice worker did not start: " + seen + "\n" + log());
    return;
  }
  auto colon = seen.rfind(':');
  if (seen.find("listening") == std::string::npos || colon == std::string::npos)
    throw std::runtime_error("sluice did not start: " + seen + "\n" + log());
  port_ = static_cast<std::uint16_t>(std::stoi(seen.substr(colon + 1)));
}

ServerProcess::~ServerProcess() {
  if (pid_ > 0) {
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, nullptr, 0);
  }
  ::unlink(log_path_.c_str());
}

void ServerProcess::signal(int signal) { ::kill(pid_, signal); }

std::optional<int> ServerProcess::wait_exit(std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    int status = 0;
    if (::waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return std::nullopt;
}

std::string ServerProcess::log() const {
  std::ifstream in(log_path_);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

Finished run_sluice(const std::vector<std::string>& args, std::chrono::milliseconds timeout) {
  char output_template[] = "/tmp/sluice-run-XXXXXX";
  int output_fd = ::mkstemp(output_template);
  std::vector<std::string> argv_storage{SLUICE_BINARY};
  argv_storage.insert(argv_storage.end(), args.begin(), args.end());
  pid_t pid = ::fork();
  if (pid == 0) {
    ::dup2(output_fd, STDOUT_FILENO);
    ::dup2(output_fd, STDERR_FILENO);
    std::vector<char*> argv;
    for (auto& a : argv_storage) argv.push_back(a.data());
    argv.push_back(nullptr);
    ::execv(argv[0], argv.data());
    ::_exit(127);
  }
  ::close(output_fd);
  Finished finished;
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    int status = 0;
    if (::waitpid(pid, &status, WNOHANG) == pid) {
      finished.exit_status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
      break;
    }
    if (std::chrono::steady_clock::now() > deadline) {
      ::kill(pid, SIGKILL);
      ::waitpid(pid, nullptr, 0);
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  std::ifstream in(output_template);
  std::stringstream text;
  text << in.rdbuf();
  finished.output = text.str();
  ::unlink(output_template);
  return finished;
}

bool ServerProcess::wait_for_log(const std::string& text, std::chrono::milliseconds timeout) const {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (log().find(text) != std::string::npos) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return false;
}

}  // namespace sluice::test
