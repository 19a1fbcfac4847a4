// Route groups (FastAPI's APIRouter + include_router) through a real server.
#include "raw_http.hpp"
#include "test_app.hpp"

#include "sluice/api/background_tasks.hpp"
#include "sluice/api/route_group.hpp"
#include "sluice/api/security.hpp"
#include "sluice/client/http_client.hpp"

#include <gtest/gtest.h>

namespace sluice::api {
namespace {

namespace asio = boost::asio;
using http::Response;

RouteGroup items_group(std::shared_ptr<http::Guard> guard) {
  RouteGroup items({.prefix = "/items", .tags = {"items"}, .guards = {std::move(guard)}});
  items.get("",
            []() -> asio::awaitable<Response> {
              co_return Response::json({{"items", 0}});
            },
            {.summary = "List items"});
  items.get("/{item_id}", [](Path<"item_id", int> id) -> asio::awaitable<Response> {
    co_return Response::json({{"id", *id}});
  });
  return items;
}

TEST(RouteGroup, PrefixTagsAndGuardsApplyToEveryRouteOfTheGroupOnly) {
  auto keys = std::make_shared<ApiKeys>(std::vector<std::string>{"k1"});
  App app;
  app.include(items_group(require_api_key(keys)), {.prefix = "/v1", .tags = {"v1"}});
  app.get("/open", []() -> asio::awaitable<Response> { co_return Response::json({{"open", true}}); });

  auto doc = app.openapi();
  const auto& paths = doc.at("paths").as_object();
  ASSERT_TRUE(paths.contains("/v1/items"));
  ASSERT_TRUE(paths.contains("/v1/items/{item_id}"));
  EXPECT_EQ(paths.at("/v1/items").at("get").at("tags").as_array(), (boost::json::array{"v1", "items"}));
  EXPECT_EQ(paths.at("/v1/items").at("get").at("summary"), "List items");
  EXPECT_TRUE(paths.at("/v1/items/{item_id}").at("get").at("responses").as_object().contains("401"));
  EXPECT_FALSE(paths.at("/open").at("get").at("responses").as_object().contains("401"));

  test::RunningApp running(app);
  auto denied = test::request(running.port(), "GET", "/v1/items/3");
  ASSERT_TRUE(denied);
  EXPECT_EQ(denied->status, 401);
  auto allowed = test::request(running.port(), "GET", "/v1/items/3", "", "Authorization: Bearer k1\r\n");
  ASSERT_TRUE(allowed);
  EXPECT_EQ(allowed->status, 200);
  EXPECT_EQ(allowed->body, R"({"id":3})");
  auto bad_id = test::request(running.port(), "GET", "/v1/items/x", "", "Authorization: Bearer k1\r\n");
  ASSERT_TRUE(bad_id);
  EXPECT_EQ(bad_id->status, 422) << "typed parameters are bound as in App::get";
  auto open = test::request(running.port(), "GET", "/open");
  ASSERT_TRUE(open);
  EXPECT_EQ(open->status, 200) << "the group's guard stays in the group";
}

TEST(RouteGroup, GroupsNest) {
  RouteGroup inner({.prefix = "/inner", .tags = {"inner"}});
  inner.get("/x", []() -> asio::awaitable<Response> { co_return Response::json({{"x", 1}}); });
  RouteGroup outer({.prefix = "/outer", .tags = {"outer"}});
  outer.include(inner);
  App app;
  app.include(outer);
  auto doc = app.openapi();
  ASSERT_TRUE(doc.at("paths").as_object().contains("/outer/inner/x"));
  EXPECT_EQ(doc.at("paths").at("/outer/inner/x").at("get").at("tags").as_array(),
            (boost::json::array{"outer", "inner"}));
}

TEST(App, ProvidesBackgroundTasksAndAnHttpClientWithoutAnInstallLine) {
  App app;
  std::promise<int> ran;
  app.post("/work/{n}",
           [&](Path<"n", int> n, Depends<BackgroundTasks> tasks,
               Depends<client::HttpClient> http) -> asio::awaitable<Response> {
             EXPECT_TRUE(http.value != nullptr);
             tasks->add([&ran](int value) { ran.set_value(value); }, *n);
             co_return Response::json({{"status", "started"}});
           });
  test::RunningApp running(app);
  auto response = test::request(running.port(), "POST", "/work/5");
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 200);
  auto done = ran.get_future();
  ASSERT_EQ(done.wait_for(std::chrono::seconds(10)), std::future_status::ready);
  EXPECT_EQ(done.get(), 5);
}

}  // namespace
}  // namespace sluice::api
