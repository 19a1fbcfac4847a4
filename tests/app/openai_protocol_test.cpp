#include "openai_protocol.hpp"

#include <gtest/gtest.h>
#include <boost/json/parse.hpp>

#include <cstring>

namespace sluice::app::openai {
namespace {

TEST(OpenAiProtocol, EmbeddingsInputIsAStringOrAnArrayOfStrings) {
  auto one = parse_embeddings(R"({"input":"hi","model":"m"})");
  ASSERT_TRUE(one.value);
  EXPECT_EQ(one.value->input, (std::vector<std::string>{"hi"}));
  EXPECT_FALSE(one.value->is_base64);
  auto many = parse_embeddings(R"({"input":["a","b"],"encoding_format":"base64","dimensions":8})");
  ASSERT_TRUE(many.value);
  EXPECT_EQ(many.value->input.size(), 2u);
  EXPECT_TRUE(many.value->is_base64);
  EXPECT_EQ(many.value->dimensions, 8u);
  for (const char* bad : {R"({"input":[1,2]})", R"({"input":[]})", R"({})", R"({"input":3})"}) {
    auto parsed = parse_embeddings(bad);
    EXPECT_FALSE(parsed.value) << bad;
    EXPECT_EQ(parsed.error.param, "input") << bad;
    EXPECT_EQ(parsed.error.status, 400u);
  }
  EXPECT_EQ(parse_embeddings(R"({"input":"x","encoding_format":"hex"})").error.param, "encoding_format");
  EXPECT_EQ(parse_embeddings(R"({"input":"x","dimensions":0})").error.param, "dimensions");
  EXPECT_EQ(parse_embeddings("not json").error.type, "invalid_request_error");
}

TEST(OpenAiProtocol, ChatRequestsCarryMessagesAndSamplingParameters) {
  auto parsed = parse_completion(R"({"model":"m","messages":[{"role":"system","content":"ctx"},
    {"role":"user","content":[{"type":"text","text":"hi "},{"type":"text","text":"there"}]}],
    "max_tokens":5,"temperature":0.5,"top_p":0.9,"stop":"x","seed":7,"stream":true,
    "stream_options":{"include_usage":true}})",
                                 true);
  ASSERT_TRUE(parsed.value) << parsed.error.message;
  const auto& r = *parsed.value;
  ASSERT_EQ(r.generation.messages.size(), 2u);
  EXPECT_EQ(r.generation.messages[1].content, "hi there");
  EXPECT_EQ(r.generation.params.max_tokens, 5u);
  EXPECT_DOUBLE_EQ(r.generation.params.temperature, 0.5);
  EXPECT_EQ(r.generation.params.stop, (std::vector<std::string>{"x"}));
  EXPECT_EQ(r.generation.params.seed, 7);
  EXPECT_TRUE(r.is_stream);
  EXPECT_TRUE(r.include_usage);
}

TEST(OpenAiProtocol, InvalidParametersNameTheParameter) {
  auto chat = [](const char* body) { return parse_completion(body, true).error.param; };
  EXPECT_EQ(chat(R"({"messages":[]})"), "messages");
  EXPECT_EQ(chat(R"({"messages":[{"role":"user","content":"x"}],"temperature":3})"), "temperature");
  EXPECT_EQ(chat(R"({"messages":[{"role":"user","content":"x"}],"max_tokens":0})"), "max_tokens");
  EXPECT_EQ(chat(R"({"messages":[{"role":"user","content":"x"}],"n":2})"), "n");
  EXPECT_EQ(chat(R"({"messages":[{"role":"user","content":"x"}],"stop":["a","b","c","d","e"]})"), "stop");
  EXPECT_EQ(chat(R"({"messages":[{"role":"user"}],"stream":"yes"})"), "stream");
  EXPECT_EQ(parse_completion(R"({"prompt":["a","b"]})", false).error.param, "prompt");
  auto ok = parse_completion(R"({"prompt":["only one"]})", false);
  ASSERT_TRUE(ok.value);
  EXPECT_EQ(ok.value->generation.prompt, "only one");
}

TEST(OpenAiProtocol, Base64IsLittleEndianFloat32) {
  ai::Vector v{1.0f, -2.5f, 0.0f};
  auto text = base64_floats(v);
  EXPECT_EQ(text, "AACAPwAAIMAAAAAA");
}

TEST(OpenAiProtocol, ErrorsHaveOpenAisShape) {
  auto response = error_response({404, "no such model", "invalid_request_error", "model", "model_not_found"});
  EXPECT_EQ(static_cast<unsigned>(response.status()), 404u);
  auto body = boost::json::parse(response.body());
  const auto& error = body.at("error");
  EXPECT_EQ(error.at("message"), "no such model");
  EXPECT_EQ(error.at("type"), "invalid_request_error");
  EXPECT_EQ(error.at("param"), "model");
  EXPECT_EQ(error.at("code"), "model_not_found");
  auto mapped = from_core({503, "queue_full", "full", nullptr});
  EXPECT_EQ(mapped.type, "server_error");
  EXPECT_EQ(mapped.code, "queue_full");
  EXPECT_TRUE(error_response(mapped).body().find(R"("param":null)") != std::string_view::npos);
}

}  // namespace
}  // namespace sluice::app::openai
