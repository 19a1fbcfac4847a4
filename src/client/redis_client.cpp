#include "sluice/client/redis_client.hpp"

#include "redis_codec.hpp"
#include "redis_connection.hpp"

#include <boost/asio/execution/context.hpp>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/query.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/url/parse.hpp>
// Boost 1.81 is pinned (CMakeLists.txt), so this detail header's digest layout is stable.
#include <fmt/format.h>
#include <boost/uuid/detail/sha1.hpp>

#include <algorithm>
#include <atomic>
#include <charconv>
#include <stdexcept>

namespace sluice::client {

namespace asio = boost::asio;

namespace {

std::atomic<std::uint64_t> next_client_id{1};

/// This thread's connections: one per client and event loop. The connections themselves are
/// owned by the coroutines running on their loop (reader, writer, calls), so they go away with
/// the loop; only weak references are kept here, and a dead one is simply replaced.
struct LocalConnection {
  std::uint64_t client;
  const asio::execution_context* context;
  std::weak_ptr<RedisClient::Connection> connection;
};
thread_local std::vector<LocalConnection> local_connections;

RedisClient::Endpoint parse_url(const std::string& url) {
  auto parsed = boost::urls::parse_uri(url);
  if (!parsed || parsed->scheme() != "redis" || parsed->host().empty())
    throw std::invalid_argument("expected redis://[[user]:password@]host[:port][/db], got " + url);
  RedisClient::Endpoint endpoint;
  endpoint.host = parsed->host_address();
  endpoint.port = "6379";
  if (parsed->has_port()) {
    // Checked here: Boost.URL 1.81's port_number() wraps values past 65535.
    std::string_view text = parsed->port();
    unsigned number = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), number);
    if (text.empty() || ec != std::errc{} || end != text.data() + text.size() || number == 0 || number > 65535)
      throw std::invalid_argument("redis URL port must be 1-65535, got " + url);
    endpoint.port = std::string(text);
  }
  if (parsed->has_userinfo()) {
    endpoint.user = parsed->user();
    endpoint.password = parsed->password();
  }
  std::string path = parsed->path();  // decoded: a new string, not a view of the URL
  if (path.starts_with('/')) path.erase(0, 1);
  if (!path.empty()) {
    auto [end, ec] = std::from_chars(path.data(), path.data() + path.size(), endpoint.db);
    if (ec != std::errc{} || end != path.data() + path.size() || endpoint.db < 0)
      throw std::invalid_argument("redis URL database must be a number, got " + url);
  }
  return endpoint;
}

std::chrono::steady_clock::time_point deadline_after(std::chrono::milliseconds timeout) {
  return std::chrono::steady_clock::now() + timeout;
}

/// Worth another try until the deadline: no connection (Redis restarting: refused, or the
/// connection broke) or a server still loading its data. A failed AUTH/SELECT is not: it
/// would fail the same way again.
bool is_transient(const core::Result<RedisReply>& result) {
  if (!result) {
    const auto& error = result.error();
    return error.code == "redis_unavailable" && (!error.message.starts_with("redis connection set-up") ||
                                                 error.message.find("LOADING") != std::string::npos);
  }
  return result->is_error() && result->text.starts_with("LOADING");
}

/// A top-level error reply becomes an Error; nested ones (inside arrays) stay values.
core::Result<RedisReply> error_reply_as_error(core::Result<RedisReply> result) {
  if (result && result->is_error()) return core::Error{502, "redis_error", std::move(result->text), nullptr};
  return result;
}

}  // namespace

RedisScript::RedisScript(std::string body) : body_(std::move(body)) {
  boost::uuids::detail::sha1 hash;
  hash.process_bytes(body_.data(), body_.size());
  boost::uuids::detail::sha1::digest_type digest;
  hash.get_digest(digest);
  for (auto word : digest) sha_ += fmt::format("{:08x}", word);
}

RedisClient::RedisClient(Options options)
    : options_(std::move(options)), endpoint_(parse_url(options_.url)), id_(next_client_id++) {}

RedisClient::~RedisClient() { close(); }

std::shared_ptr<RedisClient::Connection> RedisClient::connection(const asio::any_io_executor& executor) {
  const auto* context = &asio::query(executor, asio::execution::context);
  for (auto& local : local_connections) {
    if (local.client != id_ || local.context != context) continue;
    if (auto open = local.connection.lock(); open && !open->is_broken()) return open;
    break;
  }
  // Not connected on this loop yet, or the connection broke: open a new one (the slow path).
  std::erase_if(local_connections, [&](const LocalConnection& local) {
    return local.connection.expired() || (local.client == id_ && local.context == context);
  });
  auto created = std::make_shared<Connection>(executor, endpoint_);
  created->open();
  local_connections.push_back({id_, context, created});
  std::lock_guard lock(open_mutex_);
  std::erase_if(open_, [](const auto& weak) { return weak.expired(); });
  open_.push_back(created);
  return created;
}

asio::awaitable<core::Result<RedisReply>> RedisClient::command(std::vector<std::string> args,
                                                               std::optional<std::chrono::milliseconds> timeout) {
  // Redis answers an empty command with nothing at all, which would shift every later reply.
  if (args.empty()) co_return core::internal_error("empty redis command");
  const auto deadline = deadline_after(timeout.value_or(options_.timeout));
  auto result = co_await send(encode_command(args), deadline);
  co_return error_reply_as_error(std::move(result));
}

asio::awaitable<core::Result<RedisReply>> RedisClient::send(const std::string& encoded,
                                                            std::chrono::steady_clock::time_point deadline) {
  auto executor = co_await asio::this_coro::executor;
  auto backoff = std::chrono::milliseconds(5);
  const bool may_retry = !is_down_.load(std::memory_order_relaxed);
  for (;;) {
    auto result = co_await connection(executor)->call(encoded, deadline);
    if (!is_transient(result)) {
      if (result) is_down_.store(false, std::memory_order_relaxed);  // Redis answered: it is up
      co_return result;
    }
    if (!may_retry || std::chrono::steady_clock::now() + backoff >= deadline) {
      is_down_.store(true, std::memory_order_relaxed);
      co_return result;
    }
    asio::steady_timer pause(executor, backoff);
    auto [ec] = co_await pause.async_wait(asio::as_tuple(asio::use_awaitable));
    if (ec) co_return core::Error{499, "cancelled", "the redis call was cancelled", nullptr};
    backoff = std::min(backoff * 2, std::chrono::milliseconds(250));
  }
}

asio::awaitable<core::Result<RedisReply>> RedisClient::eval(const RedisScript& script, std::vector<std::string> keys,
                                                            std::vector<std::string> args,
                                                            std::optional<std::chrono::milliseconds> timeout) {
  const auto deadline = deadline_after(timeout.value_or(options_.timeout));
  std::vector<std::string> argv;  // no braced list: GCC 12 rejects them inside coroutines
  argv.reserve(3 + keys.size() + args.size());
  argv.push_back("EVALSHA");
  argv.push_back(script.sha());
  argv.push_back(std::to_string(keys.size()));
  argv.insert(argv.end(), std::make_move_iterator(keys.begin()), std::make_move_iterator(keys.end()));
  argv.insert(argv.end(), std::make_move_iterator(args.begin()), std::make_move_iterator(args.end()));
  auto result = co_await send(encode_command(argv), deadline);
  if (result && result->is_error() && result->text.starts_with("NOSCRIPT")) {
    // Not in the server's script cache (first use, restart, SCRIPT FLUSH): EVAL sends the body
    // once and caches it, so the next call's EVALSHA succeeds.
    argv[0] = "EVAL";
    argv[1] = script.body();
    result = co_await send(encode_command(argv), deadline);
  }
  co_return error_reply_as_error(std::move(result));
}

void RedisClient::close() {
  std::lock_guard lock(open_mutex_);
  for (auto& weak : open_) {
    // Each connection belongs to its event loop: it is closed there, never from this thread.
    if (auto open = weak.lock()) asio::post(open->executor(), [open] { open->close(); });
  }
  open_.clear();
}

std::shared_ptr<RedisClient> RedisClient::install(di::Container& container, Options options) {
  auto client = std::make_shared<RedisClient>(std::move(options));
  container.add_singleton<RedisClient>(client);
  container.on_shutdown([client] { client->close(); });
  return client;
}

}  // namespace sluice::client
