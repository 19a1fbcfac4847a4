#pragma once
// Guards: synchronous policies in front of handlers (rate limits, concurrency caps, API keys).
// Middleware costs a coroutine frame and a response move per layer and request; guards cost
// neither: they decide before the handler is called, keep their state in the request, and
// the server runs their leave() once the response is ready. A guard suspends only when it
// really has to wait (for a queue slot, for Redis).

#include "sluice/http/handler.hpp"

#include <boost/asio/awaitable.hpp>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace sluice::http {

/// What a guard tells the API documentation about a route it protects.
struct GuardDoc {
  std::vector<std::pair<unsigned, std::string>> responses;  // {429, "Rate limit exceeded"}, ...
  bool needs_bearer_token = false;  // the route needs `Authorization: Bearer <key>`
};

class Guard {
 public:
  enum class Verdict {
    pass,    // run the rest: later guards, then the handler; leave() runs afterwards
    answer,  // send `answer` instead
    wait,    // cannot decide at once: enter_async() decides
  };
  virtual ~Guard() = default;
  /// Runs on the IO thread before the handler; must not block.
  virtual Verdict enter(Request& request, GuardState& state, std::optional<Response>& answer) = 0;
  /// Decides for a request enter() answered `wait` for; must not answer `wait` itself.
  virtual boost::asio::awaitable<Verdict> enter_async(Request& request, GuardState& state,
                                                      std::optional<Response>& answer);
  /// Once the response is ready, for every request this guard passed (also when a later guard
  /// answered or the handler failed): adjust the response, give back what enter() took.
  virtual void leave(Request& request, GuardState& state, Response& response);
  /// For OpenAPI: the answers this guard may give instead of the handler on `route`.
  virtual GuardDoc describe(std::string_view route) const;
};

using Guards = std::vector<std::shared_ptr<Guard>>;

/// `handler` behind `guards`, first to last. Throws std::invalid_argument past kMaxGuards.
Handler guarded(Guards guards, Handler handler);

}  // namespace sluice::http
