// API keys through a real server.
#include "raw_http.hpp"
#include "test_app.hpp"

#include "sluice/api/security.hpp"

#include <boost/json/serialize.hpp>
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

namespace sluice::api {
namespace {

namespace asio = boost::asio;
using http::Request;
using http::Response;

asio::awaitable<Response> ok(Request&) { co_return Response::json({{"ok", true}}); }

TEST(ApiKeys, MatchOnlyWholeKeys) {
  ApiKeys keys({"sk-alpha-0123456789", "sk-beta"});
  EXPECT_TRUE(keys.contains("sk-alpha-0123456789"));
  EXPECT_TRUE(keys.contains("sk-beta"));
  EXPECT_FALSE(keys.contains("sk-alpha"));               // a prefix
  EXPECT_FALSE(keys.contains("sk-alpha-0123456789x"));   // longer
  EXPECT_FALSE(keys.contains("sk-betask-beta"));         // the key repeated
  EXPECT_FALSE(keys.contains(""));
  EXPECT_FALSE(ApiKeys({""}).contains(""));  // empty keys are dropped, never match
}

TEST(ApiKeys, ReadFromFileAndEnvironment) {
  auto path = std::filesystem::temp_directory_path() / ("sluice-keys-" + std::to_string(::getpid()));
  std::ofstream(path) << "# staging keys\nkey-one\n\n  key-two  \r\n";
  auto from_file = ApiKeys::from_file(path);
  std::filesystem::remove(path);
  EXPECT_EQ(from_file.size(), 2u);
  EXPECT_TRUE(from_file.contains("key-two"));
  EXPECT_FALSE(from_file.contains("# staging keys"));
  EXPECT_THROW(ApiKeys::from_file(path), std::runtime_error);

  ::setenv("SLUICE_TEST_KEYS", "a1, b2", 1);
  auto from_env = ApiKeys::from_env("SLUICE_TEST_KEYS");
  ::unsetenv("SLUICE_TEST_KEYS");
  EXPECT_TRUE(from_env.contains("b2"));
  EXPECT_EQ(ApiKeys::from_env("SLUICE_TEST_KEYS").size(), 0u);
}

TEST(RequireApiKey, GuardsEveryRouteButTheExemptOnes) {
  App app(1);
  auto keys = std::make_shared<ApiKeys>(std::vector<std::string>{"secret-1"});
  app.guard(require_api_key(keys, {.exempt = {"/health", "/docs*"}}));
  app.get("/health", ok);
  app.get("/docs/assets/{file}", ok);
  app.get("/data", ok);
  test::RunningApp running(app);

  auto missing = test::request(running.port(), "GET", "/data");
  ASSERT_EQ(missing->status, 401);
  EXPECT_EQ(missing->header("www-authenticate"), "Bearer");
  EXPECT_EQ(boost::json::parse(missing->body).at("code"), "not_authenticated");
  auto wrong = test::request(running.port(), "GET", "/data", "", "Authorization: Bearer secret-2\r\n");
  EXPECT_EQ(wrong->status, 401);
  EXPECT_EQ(wrong->body.find("secret"), std::string::npos);  // never echoed
  EXPECT_EQ(test::request(running.port(), "GET", "/data", "", "Authorization: Basic c2VjcmV0LTE=\r\n")->status, 401);
  EXPECT_EQ(test::request(running.port(), "GET", "/data", "", "Authorization: Bearer secret-1\r\n")->status, 200);
  EXPECT_EQ(test::request(running.port(), "GET", "/data", "", "authorization: bearer secret-1\r\n")->status, 200);
  EXPECT_EQ(test::request(running.port(), "GET", "/health")->status, 200);
  EXPECT_EQ(test::request(running.port(), "GET", "/docs/assets/x.js")->status, 200);
  EXPECT_EQ(test::request(running.port(), "GET", "/nowhere")->status, 404);
}

TEST(RequireApiKey, OnOneRouteOnly) {
  App app(1);
  auto keys = std::make_shared<ApiKeys>(std::vector<std::string>{"k"});
  app.get("/open", ok);
  app.get("/admin", ok, {.guards = {require_api_key(keys)}});
  test::RunningApp running(app);
  EXPECT_EQ(test::request(running.port(), "GET", "/open")->status, 200);
  EXPECT_EQ(test::request(running.port(), "GET", "/admin")->status, 401);
  EXPECT_EQ(test::request(running.port(), "GET", "/admin", "", "Authorization: Bearer k\r\n")->status, 200);
}

TEST(RequireApiKey, OpenApiDocumentsTheSchemeOnGuardedRoutesOnly) {
  App app(1);
  auto keys = std::make_shared<ApiKeys>(std::vector<std::string>{"k"});
  app.guard(require_api_key(keys, {.exempt = {"/health"}}));
  app.get("/health", ok);
  app.get("/data", ok);
  auto spec = app.openapi();
  auto& paths = spec.at("paths").as_object();
  EXPECT_EQ(boost::json::serialize(paths.at("/data").at("get").at("security")), R"([{"bearerAuth":[]}])");
  EXPECT_TRUE(paths.at("/data").at("get").at("responses").as_object().contains("401"));
  EXPECT_FALSE(paths.at("/health").at("get").as_object().contains("security"));
  EXPECT_EQ(spec.at("components").at("securitySchemes").at("bearerAuth").at("scheme"), "bearer");
}

}  // namespace
}  // namespace sluice::api
