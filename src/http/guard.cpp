#include "sluice/http/guard.hpp"

#include "sluice/http/request.hpp"

#include <spdlog/spdlog.h>

#include <stdexcept>

namespace sluice::http {

namespace asio = boost::asio;

asio::awaitable<Guard::Verdict> Guard::enter_async(Request&, GuardState&, std::optional<Response>& answer) {
  spdlog::error("a guard asked to wait but cannot: answering 500");
  answer = Response::error(core::internal_error());
  co_return Verdict::answer;
}

void Guard::leave(Request&, GuardState&, Response&) {}

GuardDoc Guard::describe(std::string_view) const { return {}; }

void Request::leave_guards(Response& response) {
  while (guard_count_ > 0) {
    auto& entry = guards_[--guard_count_];
    entry.guard->leave(*this, entry.state, response);
  }
}

namespace {

asio::awaitable<Response> answer_with(Response response) { co_return response; }

Response take_answer(std::optional<Response>& answer) {
  if (answer) return std::move(*answer);
  spdlog::error("a guard answered without a response: answering 500");
  return Response::error(core::internal_error());
}

/// Goes on from guard `waiting`, which is entered (its state is the request's last) and asked
/// to wait, through the remaining guards to the handler.
asio::awaitable<Response> enter_slowly(const Guards& guards, std::size_t waiting, const Handler& handler,
                                       Request& request) {
  std::optional<Response> answer;
  auto verdict = co_await guards[waiting]->enter_async(request, request.last_guard_state(), answer);
  for (std::size_t i = waiting + 1; verdict == Guard::Verdict::pass && i < guards.size(); ++i) {
    GuardState& state = request.enter_guard(*guards[i]);
    verdict = guards[i]->enter(request, state, answer);
    if (verdict == Guard::Verdict::wait) verdict = co_await guards[i]->enter_async(request, state, answer);
  }
  if (verdict != Guard::Verdict::pass) {
    request.drop_last_guard();
    co_return take_answer(answer);
  }
  co_return co_await handler(request);
}

}  // namespace

Handler guarded(Guards guards, Handler handler) {
  if (guards.size() > kMaxGuards)
    throw std::invalid_argument("at most " + std::to_string(kMaxGuards) + " guards per route");
  if (guards.empty()) return handler;
  // Not a coroutine: when every guard decides at once (the usual case) the handler's own
  // awaitable is returned, with no frame of ours around it.
  return [guards = std::move(guards), handler = std::move(handler)](Request& request) -> asio::awaitable<Response> {
    for (std::size_t i = 0; i < guards.size(); ++i) {
      std::optional<Response> answer;
      GuardState& state = request.enter_guard(*guards[i]);
      switch (guards[i]->enter(request, state, answer)) {
        case Guard::Verdict::pass:
          continue;
        case Guard::Verdict::wait:
          return enter_slowly(guards, i, handler, request);
        case Guard::Verdict::answer:
          request.drop_last_guard();
          return answer_with(take_answer(answer));
      }
    }
    return handler(request);
  };
}

}  // namespace sluice::http
