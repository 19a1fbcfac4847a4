#include "routes.hpp"

#include "context_source.hpp"
#include "datasets.hpp"

#include "sluice/ai/model_service.hpp"
#include "sluice/client/http_client.hpp"
#include "sluice/jobs/background_tasks.hpp"
#include "sluice/limits/rate_limited.hpp"

#include <boost/json/object.hpp>

#include <charconv>

namespace sluice::app {

namespace asio = boost::asio;
using http::Request;
using http::Response;

namespace {

core::Error missing_query(std::string name) {
  return core::validation_error({{"missing", {"query", std::move(name)}, "Field required", nullptr}});
}

asio::awaitable<Response> health(Request&) { co_return Response::json({{"status", "ok"}}); }

asio::awaitable<Response> generate(Request& req) {
  auto prompt = req.query("prompt");
  if (!prompt) co_return Response::error(missing_query("prompt"));
  auto context = co_await req.depends<ContextSource>()->fetch(*prompt);
  if (!context) co_return Response::error(context.error());
  auto model = req.depends<ai::ModelService>();
  auto result = co_await req.compute([&] { return model->generate(*prompt, context.value()); });
  co_return Response::json({{"result", result}});
}

asio::awaitable<Response> process_dataset(Request& req) {
  auto raw = *req.path_param("dataset_id");
  std::int64_t dataset_id = 0;
  auto [end, ec] = std::from_chars(raw.data(), raw.data() + raw.size(), dataset_id);
  if (ec != std::errc{} || end != raw.data() + raw.size())
    co_return Response::error(core::validation_error(
        {{"int_parsing", {"path", "dataset_id"}, "Input should be a valid integer, unable to parse string as an integer",
          boost::json::string(raw)}}));
  auto stats = req.depends<DatasetStats>();
  req.depends<jobs::BackgroundTasks>()->add("build_embeddings", [dataset_id, stats] {
    build_embeddings(dataset_id, *stats);
  });
  co_return Response::json({{"status", "processing started"}});
}

asio::awaitable<Response> ai_generate(Request& req) {
  auto prompt = req.query("prompt");
  if (!prompt) co_return Response::error(missing_query("prompt"));
  auto model = req.depends<ai::ModelService>();
  auto response = co_await req.compute([&] { return model->generate(*prompt, {}); });
  co_return Response::json({{"response", response}});
}

asio::awaitable<Response> ai(Request&) { co_return Response::json({{"result", "ok"}}); }

}  // namespace

void add_article_routes(App& app, const ServeOptions& options) {
  auto& services = app.services();
  services.add_singleton<ai::ModelService>(std::make_shared<ai::BuiltinModel>());
  services.add_singleton<DatasetStats>(std::make_shared<DatasetStats>());
  jobs::BackgroundTasks::install(services, app.compute());
  if (options.context_url.empty()) {
    services.add_singleton<ContextSource>(std::make_shared<LocalContextSource>());
  } else {
    auto client = client::HttpClient::install(services);
    services.add_singleton<ContextSource>(
        std::make_shared<RemoteContextSource>(client, options.context_url, options.context_timeout));
  }

  auto ai_limiter = std::make_shared<limits::RateLimiter>(limits::RateLimit::parse(options.ai_rate_limit));
  app.get("/health", health);
  app.get("/generate", generate);
  app.post("/datasets/{dataset_id}/process", process_dataset);
  app.post("/ai/generate", ai_generate);
  app.get("/ai", limits::rate_limited(ai_limiter, ai));
}

}  // namespace sluice::app
