// The article's async pipeline: GET /generate fetches context from another service without
// blocking the event loop (the App's pooled HTTP client), then runs the model on the compute pool.
#include <sluice/sluice.hpp>

using namespace sluice;

std::string process_with_model(const std::string& prompt, const std::string& context) {
  return prompt + ":" + std::to_string(context.size());
}

int main() {
  App app;
  app.get("/generate",
          [](Query<"prompt", std::string> prompt, Depends<client::HttpClient> http,
             Depends<ComputePool> compute) -> awaitable<Result<json::value>> {
            auto context = co_await http->get(client::with_query("http://127.0.0.1:9000/context", "query", *prompt));
            if (!context) co_return context.error();  // 502 unreachable, 504 too slow
            auto result = co_await compute->run([&] { return process_with_model(*prompt, context->body); });
            co_return json::value{{"result", result}};
          });
  app.run({.port = 8000});
}
