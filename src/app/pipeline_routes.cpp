#include "pipeline_routes.hpp"

#include "context_source.hpp"

#include "sluice/ai/generator.hpp"
#include "sluice/api/bind.hpp"
#include "sluice/api/params.hpp"

#include <boost/describe/class.hpp>

#include <string>

namespace sluice::server {

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

api::RouteGroup pipeline_routes(PipelineRouteOptions options) {
  api::RouteGroup group;
  group.get("/health", health, {.summary = "Health", .tags = {"operations"}});
  group.get("/generate", generate,
            {.summary = "Generate with context",
             .description = "Fetches context for the prompt from the context API, then runs the model on the compute "
                            "pool. 502 when the context API is unreachable, 504 past its deadline.",
             .tags = {"ai"},
             .guards = std::move(options.generate_guards),
             .middleware = options.model_middleware,
             .responses = options.model_responses});
  group.post("/ai/generate", ai_generate,
             {.summary = "Generate with the injected model",
              .tags = {"ai"},
              .middleware = options.model_middleware,
              .responses = options.model_responses});
  http::Guards ai_guards;
  if (options.ai_rate_limit) ai_guards.push_back(options.ai_rate_limit);
  group.get("/ai", ai,
            {.summary = "Rate-limited endpoint",
             .description = "Limited per client (default 10/minute); over the limit: 429 with Retry-After.",
             .tags = {"ai"},
             .guards = std::move(ai_guards)});
  return group;
}

}  // namespace sluice::server
