#include "sluice/http/router.hpp"

#include <gtest/gtest.h>

namespace sluice::http {
namespace {

Handler tagged(int) {
  return [](Request&) -> boost::asio::awaitable<Response> { co_return Response(); };
}

class RouterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    router.add(Verb::get, "/health", tagged(1));
    router.add(Verb::post, "/health", tagged(2));
    router.add(Verb::post, "/datasets/{dataset_id}/process", tagged(3));
    router.add(Verb::get, "/datasets/{dataset_id}", tagged(4));
    router.add(Verb::get, "/datasets/latest", tagged(5));
  }
  Router router;
};

TEST_F(RouterTest, StaticRouteMatchesByMethod) {
  auto get = router.match(Verb::get, "/health");
  auto post = router.match(Verb::post, "/health");
  ASSERT_NE(get.handler, nullptr);
  ASSERT_NE(post.handler, nullptr);
  EXPECT_NE(get.handler, post.handler);
}

TEST_F(RouterTest, CapturesDecodedPathParameters) {
  auto m = router.match(Verb::post, "/datasets/a%20b/process");
  ASSERT_NE(m.handler, nullptr);
  ASSERT_EQ(m.params.size(), 1u);
  EXPECT_EQ(m.params[0].name, "dataset_id");
  EXPECT_EQ(m.params[0].value, "a b");
  auto plus = router.match(Verb::post, "/datasets/a+b/process");
  ASSERT_EQ(plus.params.size(), 1u);
  EXPECT_EQ(plus.params[0].value, "a+b") << "'+' is a space only in query strings";
}

TEST_F(RouterTest, StaticRouteWinsOverParameter) {
  auto m = router.match(Verb::get, "/datasets/latest");
  ASSERT_NE(m.handler, nullptr);
  EXPECT_TRUE(m.params.empty());
}

TEST_F(RouterTest, WrongMethodReportsAllowedMethods) {
  auto m = router.match(Verb::delete_, "/health");
  EXPECT_EQ(m.handler, nullptr);
  EXPECT_EQ(m.allow, "GET, POST");
  auto dynamic = router.match(Verb::get, "/datasets/7/process");
  EXPECT_EQ(dynamic.handler, nullptr);
  EXPECT_EQ(dynamic.allow, "POST");
}

TEST_F(RouterTest, UnknownPathsDoNotMatch) {
  for (auto path : {"/nope", "/healthz", "/health/", "/datasets//process", "/datasets/7/process/x", "/"}) {
    auto m = router.match(Verb::get, path);
    EXPECT_EQ(m.handler, nullptr) << path;
    EXPECT_TRUE(m.allow.empty()) << path;
  }
}

TEST_F(RouterTest, InvalidPercentEscapesDoNotMatch) {
  EXPECT_EQ(router.match(Verb::get, "/datasets/%zz").handler, nullptr);
}

TEST(Router, BodyRulesComeFromTheRouteARequestWouldReach) {
  Router router;
  router.add(Verb::get, "/health", tagged(1));
  EXPECT_FALSE(router.has_body_rules()) << "no route has its own: the server need not ask";
  router.add(Verb::post, "/datasets/{dataset_id}/documents", tagged(2), {.limit = 5000, .may_spool = true});
  router.add(Verb::post, "/v1/files", tagged(3), {.limit = 0, .may_spool = false});
  EXPECT_TRUE(router.has_body_rules());
  EXPECT_EQ(router.body_rules(Verb::post, "/datasets/7/documents").limit, 5000u);
  EXPECT_TRUE(router.body_rules(Verb::post, "/v1/files").limit == 0);
  EXPECT_FALSE(router.body_rules(Verb::post, "/v1/files").may_spool);
  // Another method, another path, a longer one: the defaults.
  EXPECT_TRUE(router.body_rules(Verb::put, "/datasets/7/documents").is_default());
  EXPECT_TRUE(router.body_rules(Verb::post, "/datasets/7/documents/x").is_default());
  EXPECT_TRUE(router.body_rules(Verb::post, "/nowhere").is_default());
}

TEST(Router, RejectsPatternsWithoutLeadingSlash) {
  Router router;
  EXPECT_THROW(router.add(Verb::get, "health", tagged(0)), std::invalid_argument);
  EXPECT_EQ(router.routes().size(), 0u);
}

}  // namespace
}  // namespace sluice::http
