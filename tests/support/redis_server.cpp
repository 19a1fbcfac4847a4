#include "redis_server.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <stdexcept>
#include <thread>
#include <vector>

namespace sluice::test {

namespace {

std::uint16_t free_port() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address);
  socklen_t length = sizeof address;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length);
  ::close(fd);
  return ntohs(address.sin_port);
}

/// True once the server at `port` answers PING with PONG (after AUTH when it has a password).
bool answers_ping(std::uint16_t port, const std::string& password) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(port);
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bool ok = ::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0;
  if (ok) {
    timeval timeout{1, 0};
    ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
    std::string request = password.empty() ? "" : "AUTH " + password + "\r\n";
    request += "PING\r\n";
    ok = ::send(fd, request.data(), request.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(request.size());
    std::string reply;
    char buffer[256];
    while (ok && reply.find("PONG") == std::string::npos && reply.find('-') == std::string::npos) {
      auto n = ::recv(fd, buffer, sizeof buffer, 0);
      if (n <= 0) break;
      reply.append(buffer, static_cast<std::size_t>(n));
    }
    ok = ok && reply.find("+PONG") != std::string::npos && reply.find('-') == std::string::npos;
  }
  ::close(fd);
  return ok;
}

}  // namespace

RedisServer::RedisServer(std::string password) : password_(std::move(password)) {
  char dir[] = "/tmp/sluice-redis-XXXXXX";
  dir_ = ::mkdtemp(dir);
  port_ = free_port();
  start();
}

RedisServer::~RedisServer() {
  stop();
  std::error_code ignored;
  std::filesystem::remove_all(dir_, ignored);
}

void RedisServer::start() {
  std::vector<std::string> args{"redis-server", "--port", std::to_string(port_), "--bind", "127.0.0.1",
                                "--dir", dir_, "--appendonly", "yes", "--appendfsync", "always",
                                "--save", "", "--daemonize", "no", "--loglevel", "warning"};
  if (!password_.empty()) {
    args.push_back("--requirepass");
    args.push_back(password_);
  }
  pid_ = ::fork();
  if (pid_ == 0) {
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    ::execvp("redis-server", argv.data());
    ::_exit(127);
  }
  for (int i = 0; i < 800; ++i) {  // 20 s: a loaded machine replays a long append-only file slowly
    if (answers_ping(port_, password_)) return;
    std::this_thread::sleep_for(std::chrono::milliseconds(25));
  }
  throw std::runtime_error("redis-server did not start (is the redis-server package installed?)");
}

void RedisServer::stop() {
  if (pid_ <= 0) return;
  ::kill(pid_, SIGTERM);  // redis-server shuts down cleanly on SIGTERM, flushing its AOF
  ::waitpid(pid_, nullptr, 0);
  pid_ = -1;
}

void RedisServer::restart() {
  stop();
  start();
}

}  // namespace sluice::test
