#include "sluice/http/request.hpp"

#include <gtest/gtest.h>

namespace sluice::http {
namespace {

class RequestTest : public ::testing::Test {
 protected:
  Request make(std::string target) {
    RawRequest raw{Verb::get, target, 11};
    raw.set(Field::user_agent, "test");
    return Request(std::move(raw), {}, boost::asio::ip::make_address("10.0.0.1"), scope, pool);
  }
  di::Container container;
  di::Scope scope{container};
  core::ComputePool pool{1};
};

TEST_F(RequestTest, SplitsPathAndQuery) {
  auto req = make("/generate?prompt=hi");
  EXPECT_EQ(req.path(), "/generate");
  EXPECT_EQ(req.query("prompt"), "hi");
  EXPECT_EQ(req.header("User-Agent"), "test");
  EXPECT_EQ(req.client_address().to_string(), "10.0.0.1");
}

TEST_F(RequestTest, DecodesPercentEscapesAndPlus) {
  auto req = make("/g?prompt=what+is%20RAG%3F&x=1");
  EXPECT_EQ(req.query("prompt"), "what is RAG?");
  EXPECT_EQ(req.query("x"), "1");
  EXPECT_EQ(make("/g?q=caf%C3%A9+au+lait").query("q"), "caf\xC3\xA9 au lait");
}

TEST_F(RequestTest, FirstValueOfRepeatedKeyAndEmptyValues) {
  auto req = make("/g?a=1&a=2&empty=&flag");
  EXPECT_EQ(req.query("a"), "1");
  EXPECT_EQ(req.query("empty"), "");
  EXPECT_EQ(req.query("flag"), "");
  EXPECT_EQ(req.query("missing"), std::nullopt);
}

TEST_F(RequestTest, MalformedQueryReadsAsAbsent) {
  EXPECT_EQ(make("/g?prompt=%zz").query("prompt"), std::nullopt);
  EXPECT_EQ(make("/g?prompt=ab%4").query("prompt"), std::nullopt);  // truncated escape
  EXPECT_EQ(make("/g?prompt=%").query("prompt"), std::nullopt);
  EXPECT_EQ(make("/g").query("prompt"), std::nullopt);
}

}  // namespace
}  // namespace sluice::http
