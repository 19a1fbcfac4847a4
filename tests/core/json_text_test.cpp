#include "sluice/core/json_text.hpp"

#include <gtest/gtest.h>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <charconv>
#include <cstdint>
#include <limits>
#include <string>
#include <string_view>

namespace sluice::core {
namespace {

namespace json = boost::json;

TEST(JsonText, WritesDoublesInShortestRoundTripForm) {
  EXPECT_EQ(json_text(json::value(1.2)), "1.2");
  EXPECT_EQ(json_text(json::value(0.1 + 0.2)), "0.30000000000000004");
  EXPECT_EQ(json_text(json::value(0.11389783024787903)), "0.11389783024787903");
  EXPECT_EQ(json_text(json::value(-1.5)), "-1.5");
  EXPECT_EQ(json_text(json::value(1e300)), "1e+300");
  EXPECT_EQ(json_text(json::value(5e-324)), "5e-324");
  // An integral double keeps its ".0", as Python writes it: read back, it is still a double.
  EXPECT_EQ(json_text(json::value(-0.0)), "-0.0");
  EXPECT_EQ(json_text(json::value(2.0)), "2.0");
  EXPECT_EQ(json_text(json::value(0.0)), "0.0");
  EXPECT_TRUE(json::parse(json_text(json::value(0.0))).is_double());
  EXPECT_EQ(json_text(json::value(1e21)), "1e+21");
}

TEST(JsonText, WritesNonFiniteDoublesAsNull) {
  EXPECT_EQ(json_text(json::value(std::numeric_limits<double>::quiet_NaN())), "null");
  EXPECT_EQ(json_text(json::value(std::numeric_limits<double>::infinity())), "null");
  EXPECT_EQ(json_text(json::value(-std::numeric_limits<double>::infinity())), "null");
  EXPECT_EQ(json_text(json::array{1.5, std::numeric_limits<double>::infinity()}), "[1.5,null]");
}

TEST(JsonText, WritesIntegersAsTheyAre) {
  EXPECT_EQ(json_text(json::value(std::int64_t{0})), "0");
  EXPECT_EQ(json_text(json::value(std::numeric_limits<std::int64_t>::min())), "-9223372036854775808");
  EXPECT_EQ(json_text(json::value(std::numeric_limits<std::int64_t>::max())), "9223372036854775807");
  EXPECT_EQ(json_text(json::value(std::numeric_limits<std::uint64_t>::max())), "18446744073709551615");
}

TEST(JsonText, WritesLiterals) {
  EXPECT_EQ(json_text(json::value(true)), "true");
  EXPECT_EQ(json_text(json::value(false)), "false");
  EXPECT_EQ(json_text(json::value(nullptr)), "null");
}

TEST(JsonText, WritesNestedObjectsAndArraysCompactly) {
  json::value value = {{"a", json::array{1, "two", json::object{{"b", nullptr}}, json::array{}}},
                       {"c", json::object{}},
                       {"score", 0.25}};
  EXPECT_EQ(json_text(value), R"({"a":[1,"two",{"b":null},[]],"c":{},"score":0.25})");
  EXPECT_EQ(json_text(value.as_object()), json_text(value));
  EXPECT_EQ(json_text(value.at("a").as_array()), R"([1,"two",{"b":null},[]])");
}

TEST(JsonText, EscapesStringsAsJsonRequires) {
  EXPECT_EQ(json_text(json::value("say \"hi\"")), R"("say \"hi\"")");
  EXPECT_EQ(json_text(json::value("a\\b")), R"("a\\b")");
  EXPECT_EQ(json_text(json::value("line\nnext\ttab\r\b\f")), R"("line\nnext\ttab\r\b\f")");
  EXPECT_EQ(json_text(json::value(std::string("\x01\x1f\x0b", 3))), R"("\u0001\u001f\u000b")");
  EXPECT_EQ(json_text(json::value(std::string("nul\0end", 7))), R"("nul\u0000end")");
  EXPECT_EQ(json_text(json::value("/ and \x7f stay")), "\"/ and \x7f stay\"");
  EXPECT_EQ(json_text(json::value("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80")),
            "\"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80\"");
  EXPECT_EQ(json_text(json::object{{"k\"ey\n", 1}}), R"({"k\"ey\n":1})");
}

TEST(JsonText, EscapesEveryByteAsBoostJsonDoes) {
  // Text that compared equal with json::serialize's output keeps doing so.
  std::string every_byte;
  for (int c = 0; c < 256; ++c) every_byte.push_back(static_cast<char>(c));
  json::value value = {{every_byte, every_byte}};
  EXPECT_EQ(json_text(value), json::serialize(value));
}

TEST(JsonText, WritesDoublesThatReadBackExactly) {
  // Checked with std::from_chars: Boost.JSON 1.81's parser is not correctly rounded for some
  // 17-digit mantissas (it reads 0.11389783024787903 one ulp off), whatever wrote them.
  for (double magnitude = 1e-310; magnitude < 1e300; magnitude *= 3.0137) {
    for (double x : {magnitude, -magnitude}) {
      auto text = json_text(json::value(x));
      double back = 0;
      auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), back);
      ASSERT_TRUE(ec == std::errc{} && end == text.data() + text.size()) << text;
      ASSERT_EQ(back, x) << text;
    }
  }
}

// The doubles here are ones Boost.JSON 1.81 reads exactly (see above).
TEST(JsonText, ParsesBackToTheSameValue) {
  json::value value = {
      {"id", "job-1"},
      {"scores", json::array{0.1, 0.30000000000000004, 1e300, -2.5e-8, 5e-324, std::numeric_limits<double>::max(),
                             std::numeric_limits<double>::lowest()}},
      {"count", std::numeric_limits<std::int64_t>::min()},
      {"big", std::numeric_limits<std::uint64_t>::max()},
      {"ok", true},
      {"none", nullptr},
      {"nested", json::object{{"text", "caf\xc3\xa9 \"q\" \\ \n\x01"}, {"list", json::array{1, -1, 0.5, false}}}},
  };
  auto text = json_text(value);
  EXPECT_EQ(json::parse(text), value) << text;
}

TEST(JsonText, GrowsPastItsFirstBuffer) {
  // Numbers, long strings and escapes that each cross the writer's buffer end somewhere.
  json::array values;
  std::string text(1000, 'x');
  for (int i = 0; i < 3000; ++i) {
    values.push_back((i + 0.5) * 0.25);  // few digits: Boost.JSON 1.81 reads them back exactly
    values.push_back(static_cast<double>(i));
    values.push_back(std::numeric_limits<std::int64_t>::min() + i);
    if (i % 100 == 0) values.push_back(json::string(text + "\n\"" + std::to_string(i)));
  }
  EXPECT_EQ(json::parse(json_text(values)), values);
  std::string out(5000, '-');
  append_json_text(out, values);
  EXPECT_EQ(out.substr(0, 5000), std::string(5000, '-'));
  EXPECT_EQ(json::parse(std::string_view(out).substr(5000)), values);
}

TEST(JsonText, AppendsToWhatIsAlreadyThere) {
  std::string out = "data: ";
  append_json_text(out, json::value{{"x", 1.2}});
  append_json_text(out, json::array{1});
  append_json_text(out, json::object{});
  EXPECT_EQ(out, R"(data: {"x":1.2}[1]{})");
}

}  // namespace
}  // namespace sluice::core
