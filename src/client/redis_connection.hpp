#pragma once
// One pipelined Redis connection, owned by one event loop: commands are written in call order
// and replies handed back in the same order, so many coroutines share it without locks.

#include "sluice/client/redis_client.hpp"

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>

#include <deque>
#include <memory>
#include <optional>
#include <string>

struct redisReader;  // hiredis' RESP parser, kept out of the header

namespace sluice::client {

class RedisClient::Connection : public std::enable_shared_from_this<RedisClient::Connection> {
 public:
  using Clock = std::chrono::steady_clock;

  Connection(boost::asio::any_io_executor executor, Endpoint endpoint);
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  /// Starts connecting (then AUTH and SELECT when the URL asks). Call once, after make_shared;
  /// calls made meanwhile are queued and sent once connected.
  void open();
  /// Sends one RESP-encoded command and waits for its reply until `deadline`. Error replies
  /// are returned as values of Type::error; an Error means the call failed.
  boost::asio::awaitable<core::Result<RedisReply>> call(std::string encoded, Clock::time_point deadline);
  /// Fails every call in flight with `redis_unavailable` and closes the socket.
  void close();

  bool is_broken() const { return state_ == State::broken; }
  const boost::asio::any_io_executor& executor() const { return executor_; }

 private:
  enum class State { connecting, ready, broken };
  /// A call waiting for its reply; `wake` doubles as the call's deadline.
  struct Pending {
    enum class Kind { call, abandoned, handshake };  // handshake: AUTH/SELECT, checked here
    explicit Pending(boost::asio::any_io_executor executor, Clock::time_point deadline, Kind kind)
        : wake(std::move(executor), deadline), kind(kind) {}
    boost::asio::steady_timer wake;
    Kind kind;
    std::optional<core::Result<RedisReply>> result;
  };

  boost::asio::awaitable<void> run(std::shared_ptr<Connection> self);  // connect, then read replies
  boost::asio::awaitable<boost::system::error_code> connect();
  boost::asio::awaitable<void> write_all(std::shared_ptr<Connection> self);
  void enqueue(std::string encoded, std::shared_ptr<Pending> pending);
  void start_writing();
  /// Hands `reply` to the oldest call; false when the connection had to be failed.
  bool deliver(RedisReply reply);
  void fail(core::Error error);
  core::Error unavailable(const boost::system::error_code& ec) const;

  boost::asio::any_io_executor executor_;
  Endpoint endpoint_;
  boost::asio::ip::tcp::socket socket_;
  std::optional<boost::asio::ip::tcp::resolver> resolver_;
  redisReader* reader_;
  State state_ = State::connecting;
  std::deque<std::shared_ptr<Pending>> pending_;  // sent or queued, oldest first
  std::string outbox_;                            // encoded, not yet handed to the socket
  bool is_writing_ = false;
};

}  // namespace sluice::client
