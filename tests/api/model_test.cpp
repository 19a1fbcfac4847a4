#include "sluice/api/model.hpp"

#include <boost/describe/class.hpp>
#include <boost/describe/enum.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <gtest/gtest.h>

#include <variant>

namespace sluice::api {
namespace {

namespace json = boost::json;

BOOST_DEFINE_ENUM_CLASS(Role, system, user, assistant)

struct Message {
  Role role;
  Field<std::string, MinLength<1>, MaxLength<20>> content;
};
BOOST_DESCRIBE_STRUCT(Message, (), (role, content))

struct Chat {
  Field<std::string, Pattern<"^[a-z0-9-]+$">> model;
  Field<std::vector<Message>, MinLength<1>> messages;
  Field<double, Ge<0.0>, Le<2.0>, WithDefault> temperature = 0.7;
  Field<int, Gt<0>, Lt<4097>, WithDefault> max_tokens = 16;
  std::optional<std::string> user;
  bool stream = false;
};
BOOST_DESCRIBE_STRUCT(Chat, (), (model, messages, temperature, max_tokens, user, stream))

struct Strict {
  int id;
  static constexpr bool forbid_extra_fields = true;
};
BOOST_DESCRIBE_STRUCT(Strict, (), (id))

/// pydantic's Union, and a base's fields read with the model's own.
struct Sampling {
  std::optional<std::variant<std::string, Field<std::vector<std::string>, MaxLength<2>>>> stop;
  static constexpr bool omit_null_fields = true;
};
BOOST_DESCRIBE_STRUCT(Sampling, (), (stop))

struct Prompted : Sampling {
  std::variant<std::string, std::vector<Message>> prompt;
};
BOOST_DESCRIBE_STRUCT(Prompted, (Sampling), (prompt))

template <class T>
std::optional<T> read(std::string_view text, Issues& issues) {
  return Codec<T>::read(json::parse(text), issues, Loc{"body"});
}

TEST(Model, ReadsAValidModelWithDefaults) {
  Issues issues;
  auto chat = read<Chat>(R"({"model":"tiny-1","messages":[{"role":"user","content":"hi"}],"stream":true})", issues);
  ASSERT_TRUE(chat) << issues.to_error().to_json();
  EXPECT_EQ(*chat->model, "tiny-1");
  EXPECT_EQ(chat->messages->at(0).role, Role::user);
  EXPECT_EQ(*chat->messages->at(0).content, "hi");
  EXPECT_DOUBLE_EQ(*chat->temperature, 0.7);
  EXPECT_EQ(*chat->max_tokens, 16);
  EXPECT_FALSE(chat->user.has_value());
  EXPECT_TRUE(chat->stream);
}

// A long string against a pattern is matched without recursion per character: std::regex
// overflowed the stack at about 12 KB (fuzz_json_binding's find).
TEST(Model, APatternMatchesALongStringWithoutOverflowingTheStack) {
  const std::string messages = R"(,"messages":[{"role":"user","content":"hi"}],"stream":false})";
  Issues ok;
  EXPECT_TRUE(read<Chat>(R"({"model":")" + std::string(1'000'000, 'w') + "\"" + messages, ok));
  Issues bad;
  EXPECT_FALSE(read<Chat>(R"({"model":")" + std::string(1'000'000, 'w') + "!\"" + messages, bad));
  EXPECT_EQ(bad.to_error().to_json().at("detail").at(0).at("type"), "string_pattern_mismatch");
}

TEST(Model, ReportsEveryFailureWithItsLocation) {
  Issues issues;
  auto chat = read<Chat>(
      R"({"model":"Bad Model!","messages":[{"role":"robot","content":""},{"content":"x"}],)"
      R"("temperature":3,"max_tokens":0,"stream":"maybe"})",
      issues);
  EXPECT_FALSE(chat);
  std::vector<std::string> got;
  for (const auto& issue : issues.list()) got.push_back(issue.type + " " + json::serialize(issue.loc));
  EXPECT_EQ(got, (std::vector<std::string>{
                     R"(string_pattern_mismatch ["body","model"])",
                     R"(enum ["body","messages",0,"role"])",
                     R"(string_too_short ["body","messages",0,"content"])",
                     R"(missing ["body","messages",1,"role"])",
                     R"(less_than_equal ["body","temperature"])",
                     R"(greater_than ["body","max_tokens"])",
                     R"(bool_parsing ["body","stream"])",
                 }));
  EXPECT_EQ(issues.list()[1].msg, "Input should be 'system', 'user' or 'assistant'");
  EXPECT_EQ(issues.list()[2].msg, "String should have at least 1 character");
  EXPECT_EQ(json::serialize(issues.list()[4].ctx), R"({"le":2E0})");
}

TEST(Model, TypeErrorsUsePydanticNames) {
  Issues issues;
  EXPECT_FALSE(Codec<int>::read(json::parse("1.5"), issues, {}));
  EXPECT_FALSE(Codec<int>::read(json::parse("true"), issues, {}));
  EXPECT_FALSE(Codec<std::string>::read(json::parse("5"), issues, {}));
  EXPECT_FALSE(Codec<std::vector<int>>::read(json::parse("{}"), issues, {}));
  EXPECT_FALSE(Codec<Message>::read(json::parse("[]"), issues, {}));
  EXPECT_FALSE(Codec<std::int8_t>::read(json::parse("300"), issues, {}));
  std::vector<std::string> types;
  for (const auto& issue : issues.list()) types.push_back(issue.type);
  EXPECT_EQ(types, (std::vector<std::string>{"int_from_float", "int_type", "string_type", "list_type",
                                             "model_attributes_type", "int_parsing_size"}));
}

TEST(Model, LaxScalarsAcceptWhatPydanticAccepts) {
  Issues issues;
  EXPECT_EQ(Codec<int>::read(json::parse("2.0"), issues, {}), 2);
  EXPECT_EQ(Codec<int>::read(json::parse(R"("42")"), issues, {}), 42);
  EXPECT_EQ(Codec<bool>::from_text("yes", issues, {}), true);
  EXPECT_EQ(Codec<bool>::from_text("off", issues, {}), false);
  EXPECT_EQ(Codec<double>::from_text("1e3", issues, {}), 1000.0);
  EXPECT_TRUE(issues.empty());
  EXPECT_FALSE(Codec<int>::from_text("12abc", issues, {}));
  EXPECT_EQ(issues.list().back().type, "int_parsing");
}

TEST(Model, ExtraFieldsAreIgnoredUnlessForbidden) {
  Issues issues;
  EXPECT_TRUE(read<Message>(R"({"role":"user","content":"a","extra":1})", issues));
  EXPECT_TRUE(issues.empty());
  EXPECT_FALSE(read<Strict>(R"({"id":1,"extra":1})", issues));
  ASSERT_EQ(issues.size(), 1u);
  EXPECT_EQ(issues.list()[0].type, "extra_forbidden");
  EXPECT_EQ(json::serialize(issues.list()[0].loc), R"(["body","extra"])");
}

TEST(Model, WritesWhatItReads) {
  Issues issues;
  auto text = R"({"model":"m","messages":[{"role":"assistant","content":"ok"}],"temperature":1E0,"max_tokens":5,)"
              R"("user":null,"stream":false})";
  auto chat = read<Chat>(text, issues);
  ASSERT_TRUE(chat);
  EXPECT_EQ(Codec<Chat>::write(*chat), json::parse(text));
}

TEST(Model, SchemaDescribesFieldsConstraintsAndDefaults) {
  SchemaRegistry registry;
  EXPECT_EQ(json::serialize(Codec<Chat>::schema(registry)), R"({"$ref":"#/components/schemas/Chat"})");
  const auto& chat = registry.schemas().at("Chat").as_object();
  EXPECT_EQ(chat.at("required"), json::parse(R"(["model","messages","stream"])"));
  const auto& props = chat.at("properties").as_object();
  EXPECT_EQ(props.at("model"), json::parse(R"({"type":"string","pattern":"^[a-z0-9-]+$"})"));
  EXPECT_EQ(props.at("messages").at("minItems"), 1);
  EXPECT_EQ(props.at("messages").at("items"), json::parse(R"({"$ref":"#/components/schemas/Message"})"));
  EXPECT_EQ(props.at("temperature"), json::parse(R"({"type":"number","minimum":0E0,"maximum":2E0,"default":7E-1})"));
  EXPECT_EQ(props.at("max_tokens"),
            json::parse(R"({"type":"integer","exclusiveMinimum":0,"exclusiveMaximum":4097,"default":16})"));
  EXPECT_EQ(props.at("user"), json::parse(R"({"anyOf":[{"type":"string"},{"type":"null"}],"default":null})"));
  EXPECT_EQ(registry.schemas().at("Role").at("enum"), json::parse(R"(["system","user","assistant"])"));
  EXPECT_EQ(registry.schemas().at("Message").at("properties").at("content").at("maxLength"), 20);
  SchemaRegistry strict;
  Codec<Strict>::schema(strict);
  EXPECT_EQ(strict.schemas().at("Strict").at("additionalProperties"), false);
}

TEST(Model, AVariantTakesTheFirstAlternativeThatReadsTheValue) {
  Issues issues;
  auto text = read<Prompted>(R"({"prompt":"hi","stop":"x"})", issues);
  ASSERT_TRUE(text) << issues.to_error().to_json();
  EXPECT_EQ(std::get<std::string>(text->prompt), "hi");
  EXPECT_EQ(std::get<std::string>(*text->stop), "x");
  auto messages = read<Prompted>(R"({"prompt":[{"role":"user","content":"a"}],"stop":["x","y"]})", issues);
  ASSERT_TRUE(messages) << issues.to_error().to_json();
  EXPECT_EQ(std::get<1>(messages->prompt).size(), 1u);
  EXPECT_EQ(std::get<1>(*messages->stop)->size(), 2u);
  EXPECT_TRUE(issues.empty());
}

TEST(Model, AVariantReportsTheAlternativeThatMatchedTheKind) {
  // A list with a bad item: the list's issue, at the item, not "should be a string".
  Issues item;
  EXPECT_FALSE(read<Prompted>(R"({"prompt":[{"role":"robot","content":"a"}]})", item));
  ASSERT_EQ(item.size(), 1u);
  EXPECT_EQ(item.list()[0].type, "enum");
  EXPECT_EQ(item.list()[0].loc, json::parse(R"(["body","prompt",0,"role"])"));
  // A list over its bound: the constraint, at the field.
  Issues too_long;
  EXPECT_FALSE(read<Prompted>(R"({"prompt":"p","stop":["a","b","c"]})", too_long));
  ASSERT_EQ(too_long.size(), 1u);
  EXPECT_EQ(too_long.list()[0].type, "too_long");
  // Neither kind: one issue naming both.
  Issues neither;
  EXPECT_FALSE(read<Prompted>(R"({"prompt":3})", neither));
  ASSERT_EQ(neither.size(), 1u);
  EXPECT_EQ(neither.list()[0].type, "union_type");
  EXPECT_EQ(neither.list()[0].msg, "Input should be a valid string or a valid list");
}

TEST(Model, InheritedFieldsAreReadWrittenAndDescribed) {
  Issues issues;
  EXPECT_FALSE(read<Prompted>(R"({"stop":"x"})", issues));
  EXPECT_EQ(issues.list()[0].loc, json::parse(R"(["body","prompt"])"));
  Prompted value;
  value.prompt = std::string("p");
  // omit_null_fields is inherited with the fields: an absent `stop` is not written.
  EXPECT_EQ(Codec<Prompted>::write(value), json::parse(R"({"prompt":"p"})"));
  EXPECT_EQ(Codec<Sampling>::write(Sampling{}), json::parse("{}"));
  SchemaRegistry registry;
  Codec<Prompted>::schema(registry);
  const auto& props = registry.schemas().at("Prompted").at("properties").as_object();
  EXPECT_TRUE(props.contains("stop"));
  EXPECT_EQ(props.at("prompt").at("anyOf").as_array().size(), 2u);
  EXPECT_EQ(registry.schemas().at("Prompted").at("required"), json::parse(R"(["prompt"])"));
}

}  // namespace
}  // namespace sluice::api
