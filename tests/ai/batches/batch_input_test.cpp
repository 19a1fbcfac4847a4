#include "batch_input.hpp"

#include <gtest/gtest.h>

#include <sstream>

namespace sluice::ai::batches {
namespace {

std::string request(const std::string& id, const std::string& url = "/v1/embeddings") {
  return R"({"custom_id":")" + id + R"(","method":"POST","url":")" + url + R"(","body":{"input":"hi"}})";
}

TEST(BatchInput, AGoodLineGivesItsIdAndBody) {
  auto parsed = parse_batch_line(request("a-1"), 1, "/v1/embeddings");
  auto* line = std::get_if<BatchLine>(&parsed);
  ASSERT_TRUE(line);
  EXPECT_EQ(line->custom_id, "a-1");
  EXPECT_EQ(line->body, R"({"input":"hi"})");
  EXPECT_TRUE(is_blank(std::get<BatchLine>(parse_batch_line("  \r", 2, "/v1/embeddings"))));
}

TEST(BatchInput, EachKindOfBadLineIsNamedWithItsLineNumber) {
  auto error_of = [](const std::string& text) {
    auto parsed = parse_batch_line(text, 7, "/v1/embeddings");
    auto* error = std::get_if<LineError>(&parsed);
    return error ? *error : LineError{};
  };
  EXPECT_EQ(error_of("{not json").code, "invalid_json_line");
  EXPECT_EQ(error_of("{not json").line, 7u);
  EXPECT_EQ(error_of("[1,2]").code, "invalid_json_line");
  EXPECT_EQ(error_of(R"({"method":"POST","url":"/v1/embeddings","body":{}})").param, "custom_id");
  EXPECT_EQ(error_of(R"({"custom_id":"x","method":"GET","url":"/v1/embeddings","body":{}})").param, "method");
  EXPECT_EQ(error_of(request("x", "/v1/completions")).code, "mismatched_endpoint");
  EXPECT_EQ(error_of(R"({"custom_id":"x","method":"POST","url":"/v1/embeddings","body":"text"})").param, "body");
}

TEST(BatchInput, ValidationCountsRequestsAndFindsDuplicates) {
  std::stringstream in(request("a") + "\n\n" + request("b") + "\n" + request("a") + "\n{oops\n");
  auto result = validate_batch_input(in, "/v1/embeddings", 100);
  EXPECT_EQ(result.requests, 3u);
  ASSERT_EQ(result.errors.size(), 2u);
  EXPECT_EQ(result.errors[0].code, "duplicate_custom_id");
  EXPECT_EQ(result.errors[0].line, 4u);  // the blank line 2 still counts
  EXPECT_EQ(result.errors[1].code, "invalid_json_line");
  EXPECT_EQ(result.errors[1].line, 5u);
  EXPECT_EQ(result.errors[1].to_json().at("line"), 5);
}

TEST(BatchInput, EmptyAndOversizedInputsAreRefused) {
  std::stringstream empty("\n\n");
  auto none = validate_batch_input(empty, "/v1/embeddings", 100);
  ASSERT_EQ(none.errors.size(), 1u);
  EXPECT_EQ(none.errors[0].code, "empty_file");
  std::stringstream three(request("a") + "\n" + request("b") + "\n" + request("c") + "\n");
  auto over = validate_batch_input(three, "/v1/embeddings", 2);
  ASSERT_EQ(over.errors.size(), 1u);
  EXPECT_EQ(over.errors[0].code, "too_many_requests");
  EXPECT_EQ(over.errors[0].line, 3u);
}

}  // namespace
}  // namespace sluice::ai::batches
