#include "routes.hpp"

#include "context_source.hpp"
#include "job_routes.hpp"
#include "job_service.hpp"
#include "operations.hpp"

#include "ai_services.hpp"
#include "openai_routes.hpp"

#include "sluice/ai/generator.hpp"
#include "sluice/client/http_client.hpp"
#include "sluice/limits/rate_limited.hpp"

#include <boost/describe/class.hpp>

namespace sluice::app {

namespace asio = boost::asio;
using api::Depends;
using api::Query;
using core::ComputePool;
using http::Request;
using http::Response;

struct Health {
  std::string status;
};
BOOST_DESCRIBE_STRUCT(Health, (), (status))

struct GenerateResult {
  std::string result;
};
BOOST_DESCRIBE_STRUCT(GenerateResult, (), (result))

struct ModelResponse {
  std::string response;
};
BOOST_DESCRIBE_STRUCT(ModelResponse, (), (response))

namespace {

asio::awaitable<Health> health() { co_return Health{"ok"}; }

/// The article's pipeline: context over the async client, then the generator answers from it.
asio::awaitable<core::Result<GenerateResult>> generate(Query<"prompt", std::string> prompt,
                                                       Depends<ContextSource> context_source,
                                                       Depends<ai::Generator> generator, Request& request) {
  auto context = co_await context_source->fetch(*prompt, request.request_id());
  if (!context) co_return context.error();
  ai::GenerationRequest job;
  job.prompt = *prompt;
  job.context = std::move(*context);
  auto result = co_await generator->generate(std::move(job), {});
  if (!result) co_return result.error();
  co_return GenerateResult{std::move(result->text)};
}

asio::awaitable<core::Result<ModelResponse>> ai_generate(Query<"prompt", std::string> prompt,
                                                         Depends<ai::Generator> generator) {
  ai::GenerationRequest job;
  job.prompt = *prompt;
  // Awaited into a local first: GCC 12 miscompiles co_await inside a braced initialiser.
  auto response = co_await generator->generate(std::move(job), {});
  if (!response) co_return response.error();
  co_return ModelResponse{std::move(response->text)};
}

asio::awaitable<Response> ai(Request&) { co_return Response::json({{"result", "ok"}}); }

}  // namespace

void add_article_routes(App& app, const ServeOptions& options) {
  auto& services = app.services();
  add_ai_services(app, options.ai);
  auto jobs = std::make_shared<JobService>(options.jobs);
  services.add_singleton<JobService>(jobs);
  services.on_startup([jobs, compute = &app.compute()] { jobs->start_workers(compute); });
  services.on_shutdown([jobs] { jobs->stop_workers(); });
  if (options.context_url.empty()) {
    services.add_singleton<ContextSource>(std::make_shared<LocalContextSource>());
  } else {
    auto client = client::HttpClient::install(services);
    services.add_singleton<ContextSource>(
        std::make_shared<RemoteContextSource>(client, options.context_url, options.context_timeout));
  }

  auto ai_limiter = std::make_shared<limits::RateLimiter>(limits::RateLimit::parse(options.ai_rate_limit));
  app.get("/health", health, {.summary = "Health", .tags = {"operations"}});
  app.get("/generate", generate,
          {.summary = "Generate with context",
           .description = "Fetches context for the prompt from the context API, then runs the model on the compute "
                          "pool. 502 when the context API is unreachable, 504 past its deadline.",
           .tags = {"ai"}});
  add_job_routes(app);
  add_operations(app, options);
  app.post("/ai/generate", ai_generate, {.summary = "Generate with the injected model", .tags = {"ai"}});
  app.get("/ai", limits::rate_limited(ai_limiter, ai),
          {.summary = "Rate-limited endpoint",
           .description = "Limited per client address (default 10/minute); over the limit: 429 with Retry-After.",
           .tags = {"ai"}});
  add_openai_routes(app);
}

}  // namespace sluice::app
