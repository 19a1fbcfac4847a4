#include "context_api.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

namespace sluice::test {

namespace asio = boost::asio;
using http::Request;
using http::Response;

namespace {
asio::awaitable<void> pause(std::chrono::milliseconds delay) {
  if (delay.count() <= 0) co_return;
  asio::steady_timer timer(co_await asio::this_coro::executor, delay);
  co_await timer.async_wait(asio::as_tuple(asio::use_awaitable));  // cancelled: answer anyway
}
}  // namespace

void add_context_routes(App& app, std::chrono::milliseconds delay, std::shared_ptr<ContextRecord> record) {
  app.get("/context", [delay, record](Request& req) -> asio::awaitable<Response> {
    if (record) {
      std::lock_guard lock(record->mutex);
      record->last_query = req.query("query").value_or("<none>");
      record->last_request_id = std::string(req.header("X-Request-ID").value_or("<none>"));
      ++record->calls;
    }
    co_await pause(delay);
    // Serialised once: this API stands in for an upstream and must not be what a benchmark measures.
    static const std::string documents =
        boost::json::serialize(boost::json::value{{"documents", {"Sluice serves AI backends.", "Context for the prompt."}}});
    co_return Response::text(documents, "application/json");
  });
  app.get("/slow", [](Request&) -> asio::awaitable<Response> {
    co_await pause(std::chrono::milliseconds(700));
    co_return Response::json({{"documents", {"Late but useful context."}}});
  });
  app.get("/health", [](Request&) -> asio::awaitable<Response> { co_return Response::json({{"status", "ok"}}); });
}

ContextApi::ContextApi(std::chrono::milliseconds delay) {
  add_context_routes(app_, delay, record_);
  running_.emplace(app_);  // after the routes: App::run mounts what is registered by then
}

std::string ContextApi::last_query() {
  std::lock_guard lock(record_->mutex);
  return record_->last_query;
}

std::string ContextApi::last_request_id() {
  std::lock_guard lock(record_->mutex);
  return record_->last_request_id;
}

int ContextApi::calls() {
  std::lock_guard lock(record_->mutex);
  return record_->calls;
}

}  // namespace sluice::test
