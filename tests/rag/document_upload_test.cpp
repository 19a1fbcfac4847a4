#include "document_upload.hpp"

#include <gtest/gtest.h>

namespace sluice::rag {
namespace {

TEST(DocumentUpload, ReadsJsonDocuments) {
  auto parsed = parse_documents("application/json; charset=utf-8",
                                R"({"documents":[{"id":"a","title":"T","text":"x","metadata":{"k":1}},{"id":7,"text":"y"}]})",
                                {});
  ASSERT_TRUE(parsed);
  ASSERT_EQ(parsed->size(), 2u);
  EXPECT_EQ((*parsed)[0].title, "T");
  EXPECT_EQ((*parsed)[0].metadata.at("k"), 1);
  EXPECT_EQ((*parsed)[1].id, "7");
}

TEST(DocumentUpload, JsonProblemsNameEveryDocument) {
  auto parsed = parse_documents("application/json", R"({"documents":[{"text":"x"},{"id":"b","text":3}]})", {});
  ASSERT_FALSE(parsed);
  EXPECT_EQ(parsed.error().status, 422u);
  auto detail = parsed.error().detail.as_array();
  ASSERT_EQ(detail.size(), 2u);
  EXPECT_EQ(detail[0].at("loc"), boost::json::parse(R"(["body","documents",0,"id"])"));
  EXPECT_EQ(detail[1].at("loc"), boost::json::parse(R"(["body","documents",1,"text"])"));
}

TEST(DocumentUpload, NdjsonIsReadASliceAtATimeWithItsLineNumbers) {
  const std::string body = "{\"_id\":\"1\",\"text\":\"a\"}\n\n{\"_id\":\"2\",\"text\":\"b\"}\n"
                           "{\"_id\":\"3\",\"text\":\"c\"}\n{\"_id\":\"4\"}\n";
  EXPECT_TRUE(is_ndjson("application/x-ndjson; charset=utf-8"));
  EXPECT_FALSE(is_ndjson("application/json"));
  NdjsonDocuments documents(body);
  auto first = documents.next({2});
  ASSERT_TRUE(first);
  ASSERT_EQ(first->size(), 2u);
  EXPECT_EQ((*first)[1].id, "2");
  auto second = documents.next({2});  // "3", then line 5 lacks its text
  ASSERT_FALSE(second);
  EXPECT_EQ(second.error().detail.as_array().at(0).at("loc"), boost::json::parse(R"(["body","line",5,"text"])"));
  const std::string valid = body.substr(0, body.rfind("{\"_id\":\"4\"}"));
  NdjsonDocuments good(valid);
  std::size_t total = 0;
  for (auto slice = good.next({2}); slice && !slice->empty(); slice = good.next({2})) total += slice->size();
  EXPECT_EQ(total, 3u);
}

TEST(DocumentUpload, ReadsBeirNdjsonAndNamesTheBadLine) {
  auto ok = parse_documents("application/x-ndjson",
                            "{\"_id\":\"1\",\"title\":\"A\",\"text\":\"x\"}\r\n\n{\"_id\":\"2\",\"title\":\"\",\"text\":\"y\"}", {});
  ASSERT_TRUE(ok);
  ASSERT_EQ(ok->size(), 2u);
  EXPECT_EQ((*ok)[1].id, "2");
  auto bad = parse_documents("application/x-ndjson", "{\"_id\":\"1\",\"text\":\"x\"}\n{\"_id\":\"2\",\"text\":\n", {});
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().status, 422u);
  auto issue = bad.error().detail.as_array().at(0);
  EXPECT_EQ(issue.at("loc"), boost::json::parse(R"(["body","line",2])"));
  EXPECT_NE(std::string(issue.at("msg").as_string()).find("Line 2"), std::string::npos);
}

TEST(DocumentUpload, OneTextDocumentTakesItsIdAndTitle) {
  auto html = parse_documents("text/html", "<title>Page</title><p>Hello</p>", {.id = "p1"});
  ASSERT_TRUE(html);
  EXPECT_EQ((*html)[0].id, "p1");
  EXPECT_EQ((*html)[0].title, "Page");
  EXPECT_EQ((*html)[0].text, "Hello");
  auto plain = parse_documents("text/plain", "just text", {});
  ASSERT_TRUE(plain);
  EXPECT_EQ((*plain)[0].id.size(), 16u) << "derived from the content";
  EXPECT_FALSE(parse_documents("text/plain", "bad \xC3\x28 utf8", {}));
  EXPECT_EQ(parse_documents("image/png", "x", {}).error().status, 415u);
}

TEST(DocumentUpload, Utf8Validation) {
  EXPECT_TRUE(is_valid_utf8("plain, é, 漢字, 🙂"));
  EXPECT_FALSE(is_valid_utf8("\xC0\xAF"));          // overlong
  EXPECT_FALSE(is_valid_utf8("\xED\xA0\x80"));      // surrogate
  EXPECT_FALSE(is_valid_utf8("\xE2\x82"));          // truncated
  EXPECT_FALSE(is_valid_utf8("\xF4\x90\x80\x80"));  // past U+10FFFF
}

}  // namespace
}  // namespace sluice::rag
