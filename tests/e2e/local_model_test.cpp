// `sluice serve --model/--embedding-model PATH.gguf`: the local provider behind the real binary.
#include "raw_http.hpp"
#include "server_process.hpp"

#include <gtest/gtest.h>
#include <boost/json/parse.hpp>

#include <thread>

namespace sluice::test {
namespace {

const std::string model_path = std::string(SLUICE_MODELS_DIR) + "/stories260K/stories260K.gguf";
const std::string oracle =
    "Once upon a time, there was a little girl named Lily. She loved to play outside in the park. One day, she saw a "
    "big, red ball. She wanted to play with it, but it was too high.\nLily";
const std::string json_headers = "Content-Type: application/json\r\n";

ServerProcess local_server(std::vector<std::string> extra = {}) {
  std::vector<std::string> args = {"--model", "stories=" + model_path, "--embedding-model", model_path,
                                   "--model-threads", "1", "--compute-threads", "1"};
  args.insert(args.end(), extra.begin(), extra.end());
  return ServerProcess(args);
}

boost::json::value post(std::uint16_t port, const std::string& path, const std::string& body, int status = 200) {
  auto r = request(port, "POST", path, body, json_headers, std::chrono::seconds(30));
  if (!r) throw std::runtime_error("no response from " + path);
  EXPECT_EQ(r->status, status) << r->body;
  return boost::json::parse(r->body);
}

TEST(LocalModel, GreedyCompletionReproducesTheOracle) {
  auto server = local_server();
  auto body = post(server.port(), "/v1/completions",
                   R"({"model":"stories","prompt":"Once upon a time","max_tokens":200,"temperature":0})");
  std::string text(body.at("choices").at(0).at("text").as_string());
  EXPECT_EQ(("Once upon a time" + text).substr(0, oracle.size()), oracle);
  EXPECT_EQ(body.at("model"), "stories");
  EXPECT_EQ(body.at("usage").at("prompt_tokens"), 5);  // BOS + 4 tokens
}

TEST(LocalModel, ModelsAreListedWithContextLengthAndSize) {
  auto server = local_server({"--ctx-size", "256"});
  auto r = request(server.port(), "GET", "/v1/models");
  ASSERT_TRUE(r);
  auto data = boost::json::parse(r->body).at("data").as_array();
  ASSERT_EQ(data.size(), 2u);
  EXPECT_EQ(data[0].at("id"), "stories");
  EXPECT_EQ(data[0].at("context_length"), 256);
  EXPECT_EQ(data[0].at("parameters"), 292800);
  EXPECT_EQ(data[1].at("id"), "stories260K");
  EXPECT_EQ(data[1].at("context_length"), 128);  // the GGUF's llama.context_length
}

TEST(LocalModel, EmbeddingsHaveTheModelsWidthAndUnitLength) {
  auto server = local_server();
  auto body = post(server.port(), "/v1/embeddings",
                   R"({"model":"stories260K","input":["Once upon a time","The cat"],"encoding_format":"float"})");
  auto data = body.at("data").as_array();
  ASSERT_EQ(data.size(), 2u);
  for (auto& item : data) {
    auto& v = item.at("embedding").as_array();
    ASSERT_EQ(v.size(), 64u);
    double sum = 0;
    for (auto& x : v) sum += x.to_number<double>() * x.to_number<double>();
    EXPECT_NEAR(sum, 1.0, 1e-4);
  }
  EXPECT_EQ(body.at("usage").at("prompt_tokens"), 5 + 4);  // exact, BOS included (stories260K's 512-token vocabulary)
}

TEST(LocalModel, ChatJsonModeAndErrors) {
  auto server = local_server({"--ctx-size", "512"});
  auto chat = post(server.port(), "/v1/chat/completions",
                   R"({"messages":[{"role":"user","content":"Tell me a story"}],"max_tokens":300,"temperature":0,
                       "response_format":{"type":"json_object"}})");
  std::string content(chat.at("choices").at(0).at("message").at("content").as_string());
  boost::system::error_code ec;
  EXPECT_TRUE(boost::json::parse(content, ec).is_object()) << content;
  EXPECT_FALSE(ec);
  auto unknown = post(server.port(), "/v1/completions", R"({"model":"gpt-4","prompt":"x"})", 404);
  EXPECT_EQ(unknown.at("error").at("code"), "model_not_found");
  std::string long_prompt(4000, 'a');
  auto too_long = post(server.port(), "/v1/completions", R"({"prompt":")" + long_prompt + R"("})", 400);
  EXPECT_EQ(too_long.at("error").at("code"), "prompt_too_long");
}

TEST(LocalModel, AStreamWhoseClientLeavesFreesItsSequence) {
  // One slot and a stream that would run for minutes: the next request only starts if the
  // server notices the client has gone and frees the slot.
  auto server = local_server({"--parallel", "1", "--ctx-size", "100000", "--model-batch-tokens", "16",
                               "--max-completion-tokens", "100000"});
  {
    RawConnection stream(server.port());
    std::string body =
        R"({"prompt":"Once upon a time","max_tokens":90000,"ignore_eos":true,"temperature":0,"stream":true})";
    ASSERT_TRUE(stream.send("POST /v1/completions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                            "Content-Length: " +
                            std::to_string(body.size()) + "\r\n\r\n" + body));
    // The head and the first event may arrive in separate reads.
    std::string first;
    for (int reads = 0; reads < 10 && first.find("data: ") == std::string::npos; ++reads)
      first += stream.read_some(std::chrono::seconds(10));
    ASSERT_NE(first.find("data: "), std::string::npos) << first;
  }  // closes the socket mid-stream
  auto next = post(server.port(), "/v1/completions", R"({"prompt":"Once upon a time","max_tokens":5})");
  EXPECT_EQ(next.at("usage").at("completion_tokens"), 5);
  auto metrics = request(server.port(), "GET", "/metrics");
  ASSERT_TRUE(metrics);
  EXPECT_NE(metrics->body.find("sluice_local_generated_tokens_total{model=\"stories\"}"), std::string::npos);
  EXPECT_NE(metrics->body.find("sluice_local_time_to_first_token_seconds_count{model=\"stories\"} 2"),
            std::string::npos)
      << metrics->body;
}

TEST(LocalModel, TheServerRefusesToStartWithABadModel) {
  try {
    ServerProcess server({"--model", "/nonexistent/missing.gguf"});
    FAIL() << "the server started";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("cannot load model '/nonexistent/missing.gguf': no such file"),
              std::string::npos)
        << e.what();
  }
}

TEST(LocalModel, SeveralModelsAreServedByName) {
  ServerProcess server({"--model", "first=" + model_path, "--model", "second=" + model_path, "--embedding-model",
                        "vectors=" + model_path, "--embedding-model", "more-vectors=" + model_path, "--parallel", "1",
                        "--model-threads", "1", "--compute-threads", "1"});
  auto r = request(server.port(), "GET", "/v1/models");
  ASSERT_TRUE(r);
  auto data = boost::json::parse(r->body).at("data").as_array();
  ASSERT_EQ(data.size(), 4u);  // the generation models, then the embedding models
  EXPECT_EQ(data[0].at("id"), "first");
  EXPECT_EQ(data[1].at("id"), "second");
  EXPECT_EQ(data[1].at("parameters"), 292800);
  EXPECT_EQ(data[2].at("id"), "vectors");
  EXPECT_EQ(data[3].at("id"), "more-vectors");

  const std::string input = R"("input":"Once upon a time","encoding_format":"float")";
  auto named = post(server.port(), "/v1/embeddings", R"({"model":"more-vectors",)" + input + "}");
  EXPECT_EQ(named.at("model"), "more-vectors");
  auto by_default = post(server.port(), "/v1/embeddings", "{" + input + "}");
  EXPECT_EQ(by_default.at("model"), "vectors");
  EXPECT_EQ(named.at("data").at(0).at("embedding"), by_default.at("data").at(0).at("embedding"));  // one file
  auto unknown = post(server.port(), "/v1/embeddings", R"({"model":"first",)" + input + "}", 404);
  EXPECT_EQ(unknown.at("error").at("code"), "model_not_found");

  const std::string ask = R"("prompt":"Once upon a time","max_tokens":20,"temperature":0)";
  auto second = post(server.port(), "/v1/completions", R"({"model":"second",)" + ask + "}");
  EXPECT_EQ(second.at("model"), "second");
  auto first = post(server.port(), "/v1/completions", "{" + ask + "}");
  EXPECT_EQ(first.at("model"), "first");  // no model: the first --model
  const std::string text(second.at("choices").at(0).at("text").as_string());
  EXPECT_EQ(first.at("choices").at(0).at("text").as_string(), text);  // one file under two names
  EXPECT_EQ(("Once upon a time" + text), oracle.substr(0, 16 + text.size()));
  auto chat = post(server.port(), "/v1/chat/completions",
                   R"({"model":"third","messages":[{"role":"user","content":"hi"}]})", 404);
  EXPECT_EQ(chat.at("error").at("code"), "model_not_found");
}

TEST(LocalModel, TwoModelsOfOneNameAreRefused) {
  try {
    ServerProcess server({"--model", model_path, "--model", model_path});
    FAIL() << "the server started";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("two --model files are named 'stories260K'"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace sluice::test
