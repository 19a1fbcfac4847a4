#pragma once
// What a handler receives.

#include "sluice/core/compute_pool.hpp"
#include "sluice/di/container.hpp"
#include "sluice/http/handler.hpp"
#include "sluice/http/message.hpp"

#include <boost/asio/ip/address.hpp>

#include <algorithm>
#include <array>
#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace sluice::http {

/// A value captured from the path by the router: `/datasets/{dataset_id}` → {"dataset_id", "42"}.
struct PathParam {
  std::string_view name;  // points into the route's pattern, which outlives requests
  std::string value;      // percent-decoded
};

/// One HTTP request with everything a handler needs: the message, parsed path and query,
/// the client's address, its dependency scope and the compute pool.
class Request {
 public:
  /// `client_text`: the client's address as text when the caller has it already (the server
  /// formats it once per connection); otherwise it is formatted on first use.
  Request(RawRequest message, std::vector<PathParam> params, boost::asio::ip::address client,
          di::Scope& scope, core::ComputePool& compute, std::string_view client_text = {});

  Verb method() const { return message_.method(); }
  std::string_view target() const { return message_.target(); }
  /// The path without the query, still percent-encoded.
  std::string_view path() const { return path_; }
  std::string_view body() const { return body_owner_ ? body_ : std::string_view(message_.body()); }
  /// Whether the body was read into a temporary file (ServerOptions::spool_above), not memory.
  bool is_body_spooled() const { return body_owner_ != nullptr; }
  /// The body, when the server kept it outside the message: a large upload in a mapped
  /// temporary file (ServerOptions::spool_above). `owner` keeps it alive.
  void set_body(std::string_view body, std::shared_ptr<const void> owner) {
    body_ = body;
    body_owner_ = std::move(owner);
  }
  std::optional<std::string_view> header(std::string_view name) const;
  std::optional<std::string_view> path_param(std::string_view name) const;
  /// The first value of query parameter `name`, percent-decoded (`+` read as space).
  std::optional<std::string> query(std::string_view name) const;
  /// Every value of query parameter `name`, in order (`?tag=a&tag=b`).
  std::vector<std::string> query_all(std::string_view name) const;
  /// The value of cookie `name` from the Cookie header.
  std::optional<std::string> cookie(std::string_view name) const;
  const boost::asio::ip::address& client_address() const { return client_; }
  /// client_address() as text ("203.0.113.7", "2001:db8::1").
  std::string_view client_host() const;
  /// The matched route's pattern ("/jobs/{job_id}"); empty when no route matched.
  std::string_view route() const { return route_; }
  /// This request's id (X-Request-ID), once the request-id middleware has set it.
  const std::string& request_id() const { return request_id_; }
  void set_request_id(std::string id) { request_id_ = std::move(id); }
  std::string take_request_id() { return std::move(request_id_); }
  const RawRequest& message() const { return message_; }
  /// When this request must be answered (see limits::deadline); time_point::max() when never.
  /// Handlers pass what is left to the calls they make upstream.
  std::chrono::steady_clock::time_point deadline() const { return deadline_; }
  /// Tightens the deadline (a later one never loosens an earlier one).
  void set_deadline(std::chrono::steady_clock::time_point deadline) { deadline_ = std::min(deadline_, deadline); }
  /// Cancels what the handler awaits now, as a client that leaves does, but the connection
  /// carries on: whoever calls it answers the request (limits::deadline). On the request's IO
  /// thread only; nothing happens outside a server.
  void cancel_handler() const {
    if (cancel_handler_) cancel_handler_(cancel_context_);
  }

  /// The dependency of type T for this request (FastAPI's `Depends`).
  template <class T>
  std::shared_ptr<T> depends() {
    return scope_.get<T>();
  }
  /// Runs `fn` on the compute pool and resumes here with its result: `co_await req.compute(...)`.
  template <class F>
  auto compute(F fn) {
    return compute_.run(std::move(fn));
  }
  /// The pool compute() runs on, for library calls that hop to it themselves.
  core::ComputePool& compute_pool() { return compute_; }
  di::Scope& scope() { return scope_; }

  // Plumbing for the server and guarded() (guard.cpp), not for handlers. -------------------

  /// A state slot for `guard`, whose leave() leave_guards() will run.
  GuardState& enter_guard(Guard& guard) {
    auto& entry = guards_[guard_count_++];
    entry.guard = &guard;
    return entry.state;
  }
  GuardState& last_guard_state() { return guards_[guard_count_ - 1].state; }
  /// The guard entered last answered instead of the handler: it does not leave.
  void drop_last_guard() { --guard_count_; }
  /// Runs the leave() of every guard this request passed, last first. The server calls it once
  /// the response is ready.
  void leave_guards(Response& response);

  /// Set by the server after routing: what the end of the middleware chain runs.
  void set_route(std::string_view pattern, const Handler* handler, std::string allowed_methods) {
    route_ = pattern;
    handler_ = handler;
    allowed_methods_ = std::move(allowed_methods);
  }
  const Handler* handler() const { return handler_; }
  /// Set by the server: how cancel_handler() reaches the connection.
  void set_handler_canceller(void (*cancel)(void*), void* context) {
    cancel_handler_ = cancel;
    cancel_context_ = context;
  }
  /// When no handler matched but the path exists under other methods: "GET, POST".
  const std::string& allowed_methods() const { return allowed_methods_; }

 private:
  RawRequest message_;
  std::string_view body_;
  std::shared_ptr<const void> body_owner_;
  std::string_view path_;
  std::string_view query_;
  std::vector<PathParam> params_;
  boost::asio::ip::address client_;
  mutable std::string_view client_text_;  // the connection's text, or client_text_storage_
  mutable std::string client_text_storage_;
  di::Scope& scope_;
  core::ComputePool& compute_;
  std::string_view route_;
  std::string request_id_;
  std::chrono::steady_clock::time_point deadline_ = std::chrono::steady_clock::time_point::max();
  const Handler* handler_ = nullptr;
  void (*cancel_handler_)(void*) = nullptr;
  void* cancel_context_ = nullptr;
  std::string allowed_methods_;
  struct EnteredGuard {
    Guard* guard;
    GuardState state;
  };
  std::array<EnteredGuard, kMaxGuards> guards_;  // the first guard_count_ are live
  std::size_t guard_count_ = 0;
};

/// An address as text; IPv4 without inet_ntop's printf machinery, as this runs per connection
/// and per rate-limited request behind proxies.
std::string address_text(const boost::asio::ip::address& address);

/// Splits a request target into path and query (without the '?').
std::pair<std::string_view, std::string_view> split_target(std::string_view target);

}  // namespace sluice::http
