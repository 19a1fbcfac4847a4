#include "../../src/ai/openai_requests.hpp"

#include "sluice/ai/openai.hpp"

#include <gtest/gtest.h>
#include <boost/json/parse.hpp>

#include <cstring>

namespace sluice::ai::openai {
namespace {

/// What a client sees of a failure: OpenAI's error object.
ErrorObject seen(const core::Error& error) { return to_openai(error).error; }

template <class T>
std::string param_of(const core::Result<T>& parsed) {
  EXPECT_FALSE(parsed);
  return parsed ? "" : seen(parsed.error()).param.value_or("");
}

TEST(OpenAiProtocol, EmbeddingsInputIsAStringOrAnArrayOfStrings) {
  auto one = parse_embeddings(R"({"input":"hi","model":"m"})");
  ASSERT_TRUE(one);
  EXPECT_EQ(one->input, (std::vector<std::string>{"hi"}));
  EXPECT_FALSE(one->is_base64);
  auto many = parse_embeddings(R"({"input":["a","b"],"encoding_format":"base64","dimensions":8})");
  ASSERT_TRUE(many);
  EXPECT_EQ(many->input.size(), 2u);
  EXPECT_TRUE(many->is_base64);
  EXPECT_EQ(many->dimensions, 8u);
  for (const char* bad : {R"({"input":[]})", R"({})", R"({"input":3})"}) {
    auto parsed = parse_embeddings(bad);
    EXPECT_EQ(param_of(parsed), "input") << bad;
    EXPECT_EQ(openai_status(parsed.error()), 400u);
  }
  // A list of the wrong items names the first bad one, as OpenAI does.
  EXPECT_EQ(param_of(parse_embeddings(R"({"input":["a",2]})")), "input.[1]");
  EXPECT_EQ(param_of(parse_embeddings(R"({"input":"x","encoding_format":"hex"})")), "encoding_format");
  EXPECT_EQ(param_of(parse_embeddings(R"({"input":"x","dimensions":0})")), "dimensions");
  auto not_json = parse_embeddings("not json");
  ASSERT_FALSE(not_json);
  EXPECT_EQ(seen(not_json.error()).type, "invalid_request_error");
  EXPECT_FALSE(seen(not_json.error()).param);
}

TEST(OpenAiProtocol, TooManyInputsIsRefusedBeforeAnyWork) {
  RequestLimits limits;
  limits.max_inputs = 2;
  auto parsed = parse_embeddings(R"({"input":["a","b","c"]})", limits);
  EXPECT_EQ(param_of(parsed), "input");
  EXPECT_EQ(seen(parsed.error()).code, "too_many_inputs");
}

TEST(OpenAiProtocol, ChatRequestsCarryMessagesAndSamplingParameters) {
  auto parsed = parse_completion(R"({"model":"m","messages":[{"role":"system","content":"ctx"},
    {"role":"user","content":[{"type":"text","text":"hi "},{"type":"text","text":"there"}]}],
    "max_tokens":5,"temperature":0.5,"top_p":0.9,"stop":"x","seed":7,"stream":true,
    "stream_options":{"include_usage":true}})",
                                 true);
  ASSERT_TRUE(parsed) << parsed.error().message;
  const auto& r = *parsed;
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
  auto chat = [](const char* body) { return param_of(parse_completion(body, true)); };
  EXPECT_EQ(chat(R"({"messages":[]})"), "messages");
  EXPECT_EQ(chat(R"({"messages":[{"role":"user","content":"x"}],"temperature":3})"), "temperature");
  auto hot = parse_completion(R"({"messages":[{"role":"user","content":"x"}],"temperature":3})", true);
  EXPECT_EQ(seen(hot.error()).message, "'temperature': Input should be less than or equal to 2");
  EXPECT_EQ(chat(R"({"messages":[{"role":"user","content":"x"}],"max_tokens":0})"), "max_tokens");
  EXPECT_EQ(chat(R"({"messages":[{"role":"user","content":"x"}],"n":2})"), "n");
  EXPECT_EQ(chat(R"({"messages":[{"role":"user","content":"x"}],"stop":["a","b","c","d","e"]})"), "stop");
  EXPECT_EQ(chat(R"({"messages":[{"role":"user"}],"stream":"sometimes"})"), "stream");
  EXPECT_EQ(chat(R"({"messages":[{"content":"x"}]})"), "messages.[0].role");
  EXPECT_EQ(chat(R"({"messages":[{"role":"user","content":[{"type":"image_url"}]}]})"), "messages.[0].content");
  EXPECT_EQ(chat(R"({"messages":[{"role":"user","content":"x"}],"response_format":{"type":"xml"}})"),
            "response_format.type");
  EXPECT_EQ(param_of(parse_completion(R"({"prompt":["a","b"]})", false)), "prompt");
  auto ok = parse_completion(R"({"prompt":["only one"]})", false);
  ASSERT_TRUE(ok);
  EXPECT_EQ(ok->generation.prompt, "only one");
}

TEST(OpenAiProtocol, MaxTokensIsBoundedByTheServer) {
  RequestLimits limits;
  limits.max_completion_tokens = 16;
  auto parsed = parse_completion(R"({"prompt":"x","max_tokens":17})", false, limits);
  EXPECT_EQ(param_of(parsed), "max_tokens");
  auto unset = parse_completion(R"({"prompt":"x"})", false, limits);
  ASSERT_TRUE(unset);
  EXPECT_LE(unset->generation.params.max_tokens, 16u);
}

TEST(OpenAiProtocol, Base64IsLittleEndianFloat32) {
  Vector v{1.0f, -2.5f, 0.0f};
  auto text = base64_floats(v);
  EXPECT_EQ(text, "AACAPwAAIMAAAAAA");
}

// A field the answering model cannot honour is refused by name, never answered as if unsent.
TEST(OpenAiProtocol, FieldsTheModelCannotHonourAreRefusedByName) {
  const char* tools = R"({"messages":[{"role":"user","content":"hi"}],
    "tools":[{"type":"function","function":{"name":"weather","parameters":{"type":"object"}}}],
    "tool_choice":"required"})";
  auto with_tools = parse_completion(tools, true);
  ASSERT_TRUE(with_tools);
  EXPECT_TRUE(with_tools->asks_tools);
  const GeneratorFeatures text_only;
  auto refused = unsupported_field(*with_tools, text_only, "sluice-extractive");
  ASSERT_TRUE(refused);
  EXPECT_EQ(refused->status, 400u);
  EXPECT_EQ(seen(*refused).param, "tools");
  EXPECT_EQ(seen(*refused).code, "unsupported_parameter");
  EXPECT_NE(seen(*refused).message.find("sluice-extractive"), std::string::npos);
  EXPECT_FALSE(unsupported_field(*with_tools, {.tools = true}, "m"));
  // Deprecated functions count as tools; empty lists and tool_choice "none" ask for nothing.
  auto functions = parse_completion(R"({"messages":[{"role":"user","content":"hi"}],"functions":[{"name":"f"}]})", true);
  ASSERT_TRUE(functions);
  EXPECT_EQ(seen(*unsupported_field(*functions, text_only, "m")).param, "tools");
  auto none = parse_completion(R"({"messages":[{"role":"user","content":"hi"}],"tools":[],"tool_choice":"none"})", true);
  ASSERT_TRUE(none);
  EXPECT_FALSE(unsupported_field(*none, text_only, "m"));
  // OpenAI's own 400: a choice that forces a tool with none given.
  EXPECT_EQ(param_of(parse_completion(R"({"messages":[{"role":"user","content":"hi"}],"tool_choice":"required"})", true)),
            "tool_choice");

  auto json_object = parse_completion(R"({"prompt":"x","response_format":{"type":"json_object"}})", false);
  ASSERT_TRUE(json_object);
  EXPECT_EQ(seen(*unsupported_field(*json_object, text_only, "m")).param, "response_format");
  EXPECT_FALSE(unsupported_field(*json_object, {.json_object = true}, "m"));
  auto schema = parse_completion(
      R"({"prompt":"x","response_format":{"type":"json_schema","json_schema":{"name":"r","schema":{"type":"object"}}}})",
      false);
  ASSERT_TRUE(schema);
  EXPECT_EQ(schema->generation.params.response_format.name, "r");
  EXPECT_EQ(seen(*unsupported_field(*schema, {.json_object = true}, "m")).param, "response_format");
  EXPECT_FALSE(unsupported_field(*schema, {.json_object = true, .json_schema = true}, "m"));

  auto logprobs = parse_completion(R"({"messages":[{"role":"user","content":"hi"}],"logprobs":true,"top_logprobs":2})", true);
  ASSERT_TRUE(logprobs);
  EXPECT_EQ(seen(*unsupported_field(*logprobs, text_only, "m")).param, "logprobs");
  auto text_logprobs = parse_completion(R"({"prompt":"x","logprobs":3})", false);
  ASSERT_TRUE(text_logprobs);
  EXPECT_TRUE(text_logprobs->asks_logprobs);
  EXPECT_EQ(param_of(parse_completion(R"({"prompt":"x","top_logprobs":2})", false)), "top_logprobs");

  // What no model here does: refused whatever the model.
  EXPECT_EQ(param_of(parse_completion(R"({"prompt":"x","logit_bias":{"50256":-100}})", false)), "logit_bias");
  EXPECT_TRUE(parse_completion(R"({"prompt":"x","logit_bias":{}})", false));
  EXPECT_EQ(param_of(parse_completion(R"({"prompt":"x","echo":true})", false)), "echo");
  EXPECT_EQ(param_of(parse_completion(R"({"prompt":"x","best_of":3})", false)), "best_of");
  EXPECT_EQ(param_of(parse_completion(R"({"prompt":"x","suffix":"end"})", false)), "suffix");
  EXPECT_TRUE(parse_completion(R"({"prompt":"x","echo":false,"best_of":1,"suffix":""})", false));
}

TEST(OpenAiProtocol, ErrorsHaveOpenAisShape) {
  auto response = error_response(invalid("model", "no such model", "model_not_found", 404));
  EXPECT_EQ(static_cast<unsigned>(response.status()), 404u);
  auto body = boost::json::parse(response.body());
  const auto& error = body.at("error");
  EXPECT_EQ(error.at("message"), "no such model");
  EXPECT_EQ(error.at("type"), "invalid_request_error");
  EXPECT_EQ(error.at("param"), "model");
  EXPECT_EQ(error.at("code"), "model_not_found");
  auto full = error_response({503, "queue_full", "full", nullptr});
  EXPECT_EQ(seen({503, "queue_full", "full", nullptr}).type, "server_error");
  EXPECT_EQ(full.header("Retry-After"), "1");
  EXPECT_TRUE(full.body().find(R"("param":null)") != std::string_view::npos);
  EXPECT_EQ(seen({429, "rate_limited", "slow down", nullptr}).type, "rate_limit_error");
}

}  // namespace
}  // namespace sluice::ai::openai
