// The remote provider against real OpenAI-compatible servers on loopback: a second Sluice
// process (the real thing), and an in-process upstream that fails on purpose (429, 500, hangs).
#include "sluice/ai/remote_provider.hpp"

#include "sluice/ai/embedding_model.hpp"
#include "sluice/ai/extractive_generator.hpp"
#include "sluice/http/sse.hpp"

#include "run_coroutine.hpp"
#include "server_process.hpp"
#include "test_app.hpp"

#include <gtest/gtest.h>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json/serialize.hpp>

#include <atomic>

namespace sluice::ai {
namespace {

using namespace std::chrono_literals;
namespace asio = boost::asio;
namespace json = boost::json;
using http::Request;
using http::Response;

std::shared_ptr<RemoteProvider> provider(std::string base_url, RemoteOptions options = {}) {
  options.base_url = std::move(base_url);
  options.backoff = 1ms;
  return std::make_shared<RemoteProvider>(std::make_shared<client::HttpClient>(), std::move(options));
}

GenerationRequest chat(std::string system, std::string user) {
  GenerationRequest request;
  request.messages = {{"system", std::move(system)}, {"user", std::move(user)}};
  return request;
}

TEST(RemoteProvider, EmbedsAndGeneratesThroughASecondSluiceProcess) {
  test::ServerProcess upstream({});
  auto remote = provider("http://127.0.0.1:" + std::to_string(upstream.port()) + "/v1",
                         {.chat_model = "sluice-extractive", .embedding_model = "sluice-embed"});
  RemoteEmbedder embedder(remote);
  std::vector<std::string> texts{"hello world", "a second text", "and a third"};
  auto remote_vectors = test::run_coroutine([&] { return embedder.embed(texts); });
  ASSERT_TRUE(remote_vectors) << remote_vectors.error().message;
  auto local = BuiltinEmbeddingModel().embed_batch(texts);
  ASSERT_EQ(remote_vectors->vectors.size(), 3u);
  for (std::size_t i = 0; i < 3; ++i)
    for (std::size_t d = 0; d < local[i].size(); ++d) EXPECT_FLOAT_EQ(remote_vectors->vectors[i][d], local[i][d]);
  EXPECT_EQ(remote_vectors->prompt_tokens, 8u);

  RemoteGenerator generator(remote);
  auto request = chat("Sluice is fast. Cats sleep all day.", "is sluice fast?");
  auto whole = test::run_coroutine([&] { return generator.generate(request, {}); });
  ASSERT_TRUE(whole) << whole.error().message;
  EXPECT_EQ(whole->text, "Sluice is fast.");

  std::vector<std::string> pieces;
  auto streamed = test::run_coroutine([&] {
    return generator.generate(request, [&](std::string piece) -> asio::awaitable<bool> {
      pieces.push_back(std::move(piece));
      co_return true;
    });
  });
  ASSERT_TRUE(streamed) << streamed.error().message;
  EXPECT_EQ(pieces, (std::vector<std::string>{"Sluice", " is", " fast."}));
  EXPECT_EQ(streamed->text, "Sluice is fast.");
  EXPECT_EQ(streamed->finish_reason, "stop");
  EXPECT_EQ(streamed->usage.completion_tokens, 3u);
}

std::string embedding_body() {
  json::array data{json::object{{"object", "embedding"}, {"index", 0}, {"embedding", json::array{0.6, 0.8}}}};
  return json::serialize(json::object{{"object", "list"}, {"data", std::move(data)}});
}

std::string error_body(std::string message) {
  return json::serialize(json::object{{"error", {{"message", std::move(message)}, {"type", "x"}}}});
}

/// An upstream that answers by script: each call takes the next status (the last repeats).
class FlakyUpstream : public ::testing::Test {
 protected:
  FlakyUpstream() {
    upstream.post("/v1/embeddings", [this](Request&) -> asio::awaitable<Response> {
      auto status = next_status();
      if (status == 0) {  // hang past the client's deadline
        asio::steady_timer timer(co_await asio::this_coro::executor, 1s);
        co_await timer.async_wait(asio::use_awaitable);
        status = 200;
      }
      if (status == 200) co_return Response::text(embedding_body(), "application/json");
      co_return Response::text(error_body("scripted failure"), "application/json", static_cast<http::Status>(status));
    });
    upstream.post("/v1/chat/completions", [this](Request&) -> asio::awaitable<Response> {
      auto status = next_status();
      if (status != 200)
        co_return Response::text(error_body("busy"), "application/json", static_cast<http::Status>(status));
      co_return Response::stream("text/event-stream", [](http::StreamWriter& out) -> asio::awaitable<void> {
        for (std::string piece : {"one", " two"}) {
          auto data = json::serialize(
              json::object{{"choices", json::array{json::object{{"delta", json::object{{"content", piece}}}}}}});
          co_await out.write(http::sse_event(data));
        }
        co_await out.write(http::sse_event("[DONE]"));
      });
    });
  }
  unsigned next_status() {
    std::size_t i = calls++;
    return script[std::min(i, script.size() - 1)];
  }
  core::Result<Embeddings> embed(RemoteEmbedder& embedder) {
    return test::run_coroutine([&] { return embedder.embed({"x"}); });
  }

  App upstream{1};
  std::vector<unsigned> script{200};
  std::atomic<std::size_t> calls{0};
};

TEST_F(FlakyUpstream, RetriesOn429And5xxThenSucceeds) {
  test::RunningApp server(upstream);
  script = {429, 503, 200};
  RemoteEmbedder embedder(provider(server.url("/v1"), {.max_retries = 2}));
  auto result = embed(embedder);
  ASSERT_TRUE(result) << result.error().message;
  EXPECT_EQ(result->vectors[0], (Vector{0.6f, 0.8f}));
  EXPECT_EQ(calls, 3u);
}

TEST_F(FlakyUpstream, GivesUpAfterTheRetriesWithTheUpstreamsReason) {
  test::RunningApp server(upstream);
  script = {500};
  RemoteEmbedder embedder(provider(server.url("/v1"), {.max_retries = 2}));
  auto result = embed(embedder);
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error().status, 502u);
  EXPECT_EQ(result.error().code, "upstream_error");
  EXPECT_NE(result.error().message.find("scripted failure"), std::string::npos);
  EXPECT_EQ(calls, 3u);

  script = {429};
  calls = 0;
  auto limited = embed(embedder);
  EXPECT_EQ(limited.error().status, 429u);
  EXPECT_EQ(limited.error().code, "upstream_rate_limited");
}

TEST_F(FlakyUpstream, AClientErrorIsPassedOnWithoutRetrying) {
  test::RunningApp server(upstream);
  script = {400};
  RemoteEmbedder embedder(provider(server.url("/v1"), {.max_retries = 2}));
  auto result = embed(embedder);
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error().status, 400u);
  EXPECT_EQ(calls, 1u);
}

TEST_F(FlakyUpstream, AHangingUpstreamTimesOut) {
  test::RunningApp server(upstream);
  script = {0};
  RemoteEmbedder embedder(provider(server.url("/v1"), {.timeout = 100ms, .max_retries = 0}));
  auto result = embed(embedder);
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error().status, 504u);
  EXPECT_EQ(result.error().code, "upstream_timeout");
}

TEST_F(FlakyUpstream, TheCircuitOpensAfterRepeatedFailuresAndClosesAfterATrial) {
  test::RunningApp server(upstream);
  script = {500, 500, 200};
  auto remote = provider(server.url("/v1"), {.max_retries = 0, .breaker_failures = 2, .breaker_cool_down = 200ms});
  RemoteEmbedder embedder(remote);
  EXPECT_EQ(embed(embedder).error().code, "upstream_error");
  EXPECT_EQ(embed(embedder).error().code, "upstream_error");
  auto refused = embed(embedder);
  EXPECT_EQ(refused.error().status, 503u);
  EXPECT_EQ(refused.error().code, "upstream_circuit_open");
  EXPECT_EQ(calls, 2u);  // the open breaker did not call the upstream
  std::this_thread::sleep_for(250ms);
  EXPECT_TRUE(embed(embedder));  // the half-open trial succeeds and closes the breaker
  EXPECT_EQ(remote->breaker().state(), CircuitBreaker::State::closed);
  EXPECT_EQ(calls, 3u);
}

TEST_F(FlakyUpstream, AStreamIsRetriedBeforeItsFirstByte) {
  test::RunningApp server(upstream);
  script = {503, 200};
  RemoteGenerator generator(provider(server.url("/v1"), {.max_retries = 1}));
  std::string text;
  auto result = test::run_coroutine([&] {
    return generator.generate(chat("", "hi"), [&](std::string piece) -> asio::awaitable<bool> {
      text += piece;
      co_return true;
    });
  });
  ASSERT_TRUE(result) << result.error().message;
  EXPECT_EQ(text, "one two");
  EXPECT_EQ(result->usage.completion_tokens, 2u);  // counted: this upstream sends no usage
  EXPECT_EQ(calls, 2u);
}

TEST(CircuitBreaker, LetsOneTrialThroughWhenHalfOpen) {
  CircuitBreaker breaker(1, 0ms);
  EXPECT_TRUE(breaker.allow());
  breaker.on_failure();
  EXPECT_TRUE(breaker.allow());   // cool-down over: the trial
  EXPECT_FALSE(breaker.allow());  // only one at a time
  breaker.on_failure();
  EXPECT_EQ(breaker.state(), CircuitBreaker::State::open);
}

}  // namespace
}  // namespace sluice::ai
