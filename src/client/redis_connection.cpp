#include "redis_connection.hpp"

#include "redis_codec.hpp"

#include <fmt/format.h>
#include <hiredis/hiredis.h>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/connect.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

#include <array>

namespace sluice::client {

namespace asio = boost::asio;
using asio::ip::tcp;
using boost::system::error_code;

namespace {

constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);

struct ReplyDeleter {
  void operator()(void* reply) const { freeReplyObject(reply); }
};

}  // namespace

RedisClient::Connection::Connection(asio::any_io_executor executor, Endpoint endpoint)
    : executor_(std::move(executor)), endpoint_(std::move(endpoint)), socket_(executor_), reader_(create_reply_reader()) {}

RedisClient::Connection::~Connection() { redisReaderFree(reader_); }

void RedisClient::Connection::open() {
  // AUTH and SELECT go first in the pipeline; no deadline of their own (the callers' apply).
  const auto never = Clock::time_point::max();
  if (!endpoint_.password.empty()) {
    std::vector<std::string> auth{"AUTH"};
    if (!endpoint_.user.empty()) auth.push_back(endpoint_.user);
    auth.push_back(endpoint_.password);
    enqueue(encode_command(auth), std::make_shared<Pending>(executor_, never, Pending::Kind::handshake));
  }
  if (endpoint_.db != 0) {
    std::vector<std::string> select{"SELECT", std::to_string(endpoint_.db)};
    enqueue(encode_command(select), std::make_shared<Pending>(executor_, never, Pending::Kind::handshake));
  }
  asio::co_spawn(executor_, run(shared_from_this()), asio::detached);
}

asio::awaitable<core::Result<RedisReply>> RedisClient::Connection::call(std::string encoded,
                                                                        Clock::time_point deadline) {
  auto self = shared_from_this();  // a timeout below may drop every other reference
  if (state_ == State::broken) co_return core::Error{502, "redis_unavailable", "redis connection is closed", nullptr};
  auto pending = std::make_shared<Pending>(executor_, deadline, Pending::Kind::call);
  enqueue(std::move(encoded), pending);
  // The reply (or a failure) cancels `wake`; an expiry that was not cancelled is the deadline.
  auto [ec] = co_await pending->wake.async_wait(use_tuple);
  if (pending->result) co_return std::move(*pending->result);
  if (!ec) {
    core::Error timeout{504, "redis_timeout",
                        fmt::format("redis {}:{} did not answer in time", endpoint_.host, endpoint_.port), nullptr};
    fail(timeout);  // replies still due can no longer be matched to their calls
    co_return timeout;
  }
  // Cancelled by our caller (e.g. its client went away). The reply is still due: it is read and
  // dropped, so that the replies after it keep matching their calls.
  pending->kind = Pending::Kind::abandoned;
  co_return core::Error{499, "cancelled", "the redis call was cancelled", nullptr};
}

void RedisClient::Connection::close() {
  fail({502, "redis_unavailable", "redis connection closed by the client", nullptr});
}

void RedisClient::Connection::enqueue(std::string encoded, std::shared_ptr<Pending> pending) {
  pending_.push_back(std::move(pending));
  outbox_ += encoded;
  start_writing();
}

void RedisClient::Connection::start_writing() {
  if (state_ != State::ready || is_writing_ || outbox_.empty()) return;
  is_writing_ = true;
  // co_spawn runs the writer later on this loop: calls made in the same turn share one write.
  asio::co_spawn(executor_, write_all(shared_from_this()), asio::detached);
}

asio::awaitable<void> RedisClient::Connection::write_all(std::shared_ptr<Connection> /*keeps this alive*/) {
  std::string writing;
  while (state_ == State::ready && !outbox_.empty()) {
    writing.clear();
    std::swap(writing, outbox_);  // calls arriving during the write append to the fresh outbox
    auto [ec, written] = co_await asio::async_write(socket_, asio::buffer(writing), use_tuple);
    if (ec) {
      fail(unavailable(ec));
      break;
    }
  }
  is_writing_ = false;
}

asio::awaitable<error_code> RedisClient::Connection::connect() {
  error_code ec;
  auto address = asio::ip::make_address(endpoint_.host, ec);
  if (!ec) {
    std::uint16_t port = static_cast<std::uint16_t>(std::stoi(endpoint_.port));
    auto [connect_ec] = co_await socket_.async_connect(tcp::endpoint(address, port), use_tuple);
    co_return connect_ec;
  }
  // Name lookup runs on Asio's resolver thread; fail() cancels it when a caller's deadline passes.
  resolver_.emplace(executor_);
  auto [resolve_ec, endpoints] = co_await resolver_->async_resolve(endpoint_.host, endpoint_.port, use_tuple);
  if (resolve_ec) co_return resolve_ec;
  if (state_ == State::broken) co_return asio::error::operation_aborted;
  auto [connect_ec, endpoint] = co_await asio::async_connect(socket_, endpoints, use_tuple);
  co_return connect_ec;
}

asio::awaitable<void> RedisClient::Connection::run(std::shared_ptr<Connection> /*keeps this alive*/) {
  auto ec = co_await connect();
  if (state_ == State::broken) co_return;  // failed meanwhile (deadline or close)
  if (ec) {
    fail(unavailable(ec));
    co_return;
  }
  error_code ignored;
  socket_.set_option(tcp::no_delay(true), ignored);
  state_ = State::ready;
  start_writing();

  std::array<char, 16 * 1024> buffer;
  while (state_ != State::broken) {
    auto [read_ec, size] = co_await socket_.async_read_some(asio::buffer(buffer), use_tuple);
    if (read_ec) {
      fail(unavailable(read_ec));
      co_return;
    }
    if (redisReaderFeed(reader_, buffer.data(), size) != REDIS_OK) {
      fail({502, "redis_protocol_error", fmt::format("redis reply unreadable: {}", reader_->errstr), nullptr});
      co_return;
    }
    for (;;) {
      void* raw = nullptr;
      if (redisReaderGetReply(reader_, &raw) != REDIS_OK) {
        fail({502, "redis_protocol_error", fmt::format("redis reply unreadable: {}", reader_->errstr), nullptr});
        co_return;
      }
      if (!raw) break;  // needs more bytes
      std::unique_ptr<void, ReplyDeleter> owned(raw);
      if (!deliver(to_reply(*static_cast<const redisReply*>(raw)))) co_return;
    }
  }
}

bool RedisClient::Connection::deliver(RedisReply reply) {
  if (pending_.empty()) {
    fail({502, "redis_protocol_error", "redis sent a reply nobody asked for", nullptr});
    return false;
  }
  auto pending = std::move(pending_.front());
  pending_.pop_front();
  if (pending->kind == Pending::Kind::handshake && reply.is_error()) {
    fail({502, "redis_unavailable", fmt::format("redis connection set-up failed: {}", reply.text), nullptr});
    return false;
  }
  if (pending->kind == Pending::Kind::call) {
    pending->result.emplace(std::move(reply));
    pending->wake.cancel();
  }
  return true;
}

void RedisClient::Connection::fail(core::Error error) {
  if (state_ == State::broken) return;
  state_ = State::broken;
  error_code ignored;
  socket_.close(ignored);  // ends the reader and any write in progress
  if (resolver_) resolver_->cancel();
  outbox_.clear();
  auto pending = std::move(pending_);
  pending_.clear();
  for (auto& call : pending) {
    if (call->kind != Pending::Kind::call) continue;
    call->result.emplace(error);
    call->wake.cancel();
  }
}

core::Error RedisClient::Connection::unavailable(const error_code& ec) const {
  return {502, "redis_unavailable",
          fmt::format("redis {}:{} unavailable: {}", endpoint_.host, endpoint_.port, ec.message()), nullptr};
}

}  // namespace sluice::client
