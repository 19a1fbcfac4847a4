// An expensive endpoint protected the way a production AI API is: API keys, a per-key rate
// limit, at most 8 requests running with 16 waiting (503 past that), a 2 s deadline (504), and
// repeated GETs answered from a cache.
#include <sluice/sluice.hpp>
#include <sluice/cache/response_cache.hpp>

#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

using namespace sluice;
using namespace std::chrono_literals;

struct Summary {
  std::string text;
};
BOOST_DESCRIBE_STRUCT(Summary, (), (text))

awaitable<Summary> summarize(Query<"url", std::string> url) {
  boost::asio::steady_timer model(co_await boost::asio::this_coro::executor, 300ms);  // the model call
  co_await model.async_wait(boost::asio::use_awaitable);
  co_return Summary{"summary of " + *url};
}

int main() {
  App app;
  auto keys = std::make_shared<api::ApiKeys>(api::ApiKeys::from_env("MY_API_KEYS"));
  app.guard(api::require_api_key(keys, {.exempt = {"/docs*", "/openapi.json"}}));

  limits::Limiter limiter({.key = limits::by_api_key()});
  auto gate = limits::AdmissionGate::create({.max_in_flight = 8, .max_queue = 16, .queue_timeout = 500ms});
  auto responses = std::make_shared<cache::MemoryCache>();

  app.get("/summarize", summarize,
          {.summary = "Summarize a page",
           .guards = {cache::response_cache(responses, 5min), limiter.limit("5/second;1000/day"), gate},
           .middleware = {limits::deadline(2s)}});
  app.run({.port = 8000});
}
