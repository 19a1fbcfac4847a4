#include "json_array_reader.hpp"

#include "document_upload.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <gtest/gtest.h>

namespace sluice::rag {
namespace {

namespace json = boost::json;

std::vector<json::value> read_all(std::string_view body, std::size_t slice) {
  JsonArrayReader reader(body, "documents");
  std::vector<json::value> all;
  for (auto part = reader.next(slice);; part = reader.next(slice)) {
    EXPECT_TRUE(part) << body.substr(0, 200);
    if (!part || part->empty()) break;
    EXPECT_LE(part->size(), slice);
    for (auto& v : *part) all.push_back(std::move(v));
  }
  return all;
}

std::string error_loc(std::string_view body) {
  JsonArrayReader reader(body, "documents");
  for (auto part = reader.next(10);; part = reader.next(10)) {
    if (!part) return json::serialize(part.error().detail.as_array().at(0).at("loc")) + " " +
                      std::string(part.error().detail.as_array().at(0).at("type").as_string());
    if (part->empty()) return "ok";
  }
}

TEST(JsonArrayReader, HandsOutTheElementsOfTheMemberInSlicesAndSkipsTheRest) {
  auto body = R"({"before":{"documents":[9,9],"x":[1,{"y":"z"}]},"documents":[{"id":"a","n":[1,2,{"k":null}]},)"
              R"("two",3,-4,5.5,true,null,[6]],"after":"documents"})";
  auto all = read_all(body, 3);
  ASSERT_EQ(all.size(), 8u);
  EXPECT_EQ(all[0], json::parse(R"({"id":"a","n":[1,2,{"k":null}]})"));
  EXPECT_EQ(all[1], "two");
  EXPECT_EQ(all[3], -4);
  EXPECT_EQ(all[4], 5.5);
  EXPECT_EQ(all[7], json::parse("[6]"));
  EXPECT_TRUE(read_all(R"({"documents":[]})", 5).empty());
}

TEST(JsonArrayReader, ElementsAndStringsSpanningManyPiecesArriveWhole) {
  // Far more than one 64 KiB piece: elements and a long text cross the pieces' edges.
  std::string big(200'000, 'w');
  big[1000] = '"';  // escaped below
  json::array documents;
  for (int i = 0; i < 3000; ++i) documents.push_back(json::object{{"id", std::to_string(i)}, {"text", "text " + std::to_string(i)}});
  documents.push_back(json::object{{"id", "big"}, {"text", big}});
  auto body = json::serialize(json::object{{"documents", documents}});
  auto all = read_all(body, 1000);
  ASSERT_EQ(all.size(), 3001u);
  EXPECT_EQ(all[2999].at("text"), "text 2999");
  EXPECT_EQ(all[3000].at("text").as_string(), big);
}

TEST(JsonArrayReader, BadBodiesAre422sOfTheRightKind) {
  EXPECT_EQ(error_loc(R"({"documents":[1,2]})"), "ok");
  EXPECT_EQ(error_loc(R"([{"id":"a"}])"), R"(["body","documents"] missing)");
  EXPECT_EQ(error_loc(R"({"documents":{"id":"a"}})"), R"(["body","documents"] missing)");
  EXPECT_EQ(error_loc(R"({"documents":"abc"})"), R"(["body","documents"] missing)");
  EXPECT_EQ(error_loc(R"({"docs":[]})"), R"(["body","documents"] missing)");
  EXPECT_EQ(error_loc("42"), R"(["body","documents"] missing)");
  EXPECT_EQ(error_loc(R"({"documents":[1,2])"), R"(["body"] json_invalid)");
  EXPECT_EQ(error_loc(R"({"documents":[1,2]} x)"), R"(["body"] json_invalid)");
  EXPECT_EQ(error_loc(R"({"documents":[1,2]}  )"), "ok");
  EXPECT_EQ(error_loc(""), R"(["body"] json_invalid)");
}

TEST(JsonDocuments, NumbersIssuesAcrossSlices) {
  json::array documents;
  for (int i = 0; i < 25; ++i) documents.push_back(json::object{{"id", std::to_string(i)}, {"text", "t"}});
  documents.push_back(json::object{{"id", "bad"}});  // index 25: no text
  auto body = json::serialize(json::object{{"documents", documents}});
  JsonDocuments stream(body);
  ASSERT_EQ(stream.next({10})->size(), 10u);
  ASSERT_EQ(stream.next({10})->size(), 10u);
  auto third = stream.next({10});
  ASSERT_FALSE(third);
  EXPECT_EQ(third.error().detail.as_array().at(0).at("loc"), json::parse(R"(["body","documents",25,"text"])"));
}

TEST(DocumentStreams, ASliceStopsAtItsBytes) {
  const std::string text(1000, 'x');
  std::string ndjson;
  json::array documents;
  for (int i = 0; i < 10; ++i) {
    ndjson += json::serialize(json::object{{"_id", std::to_string(i)}, {"text", text}}) + "\n";
    documents.push_back(json::object{{"id", std::to_string(i)}, {"text", text}});
  }
  const auto body = json::serialize(json::object{{"documents", documents}});
  NdjsonDocuments lines(ndjson);
  JsonDocuments array(body);
  for (DocumentStream* stream : {static_cast<DocumentStream*>(&lines), static_cast<DocumentStream*>(&array)}) {
    EXPECT_EQ(stream->next({.documents = 100, .bytes = 2500})->size(), 3u);  // 3,000 bytes reach 2,500
    EXPECT_EQ(stream->next({.documents = 100, .bytes = 1})->size(), 1u);     // always at least one
    EXPECT_EQ(stream->next({.documents = 100})->size(), 6u);
  }
}

}  // namespace
}  // namespace sluice::rag
