// The article's async pipeline: GET /generate fetches context from another service without
// blocking the event loop, then runs the model off the IO thread.
#include <sluice/sluice.hpp>

using namespace sluice;

std::string process_with_model(const std::string& prompt, const std::string& context) {
  return prompt + ":" + std::to_string(context.size());
}

int main() {
  App app;
  client::HttpClient::install(app.services());  // one pooled client for the whole app

  app.get("/generate", [](Query<"prompt", std::string> prompt, Depends<client::HttpClient> http,
                          Depends<core::ComputePool> compute) -> awaitable<Result<json::value>> {
    auto context = co_await http->get(client::with_query("http://127.0.0.1:9000/context", "query", *prompt));
    if (!context) co_return context.error();  // 502 unreachable, 504 too slow
    auto result = co_await compute->run([&] { return process_with_model(*prompt, context->body); });
    co_return json::value{{"result", result}};
  });
  app.run({.port = 8000});
}
