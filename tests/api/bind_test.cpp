// Typed handlers through real HTTP: binding, validation (every failure reported), results.
#include "sluice/api/app.hpp"

#include "raw_http.hpp"
#include "test_app.hpp"

#include <boost/describe/class.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <gtest/gtest.h>

#include <atomic>

namespace sluice::api {
namespace {

namespace asio = boost::asio;
namespace json = boost::json;

struct Item {
  Field<std::string, MinLength<1>> name;
  Field<double, Ge<0.0>> price;
  std::optional<std::string> description;
};
BOOST_DESCRIBE_STRUCT(Item, (), (name, price, description))

struct Created {
  int id;
  std::string name;
  std::string q;
  std::vector<std::string> tags;
  std::string agent;
  std::string session;
  int limit;
};
BOOST_DESCRIBE_STRUCT(Created, (), (id, name, q, tags, agent, session, limit))

struct Counter {
  std::atomic<int> value{0};
};
struct Broken {};

http::Response answer_in_own_shape(const core::Error& error) {
  return http::Response::json(json::object{{"oops", error.code}},
                              static_cast<http::Status>(error.status == 422 ? 400 : error.status));
}

class BindTest : public ::testing::Test {
 protected:
  BindTest() {
    app.services().add_singleton<Counter>(counter);
    app.services().add_per_request<Broken>([](di::Scope&) -> std::shared_ptr<Broken> { throw std::runtime_error("db down"); });
    app.post(
        "/items/{id}",
        [](Path<"id", Field<int, Ge<1>>> id, Query<"q", std::string> q, Query<"tag", std::vector<std::string>> tags,
           Query<"limit", Field<int, Le<100>>, 10> limit, Header<"User-Agent", std::string> agent,
           Cookie<"session", std::optional<std::string>> session, Body<Item> item,
           Depends<Counter> count) -> asio::awaitable<Created> {
          ++count->value;
          co_return Created{*id, *item->name, *q, *tags, *agent, session->value_or("none"), *limit};
        },
        {.status_code = 201});
    app.get("/broken", [](Depends<Broken>) -> asio::awaitable<std::string> { co_return "unreachable"; });
    // A route with its own error format, as the OpenAI-compatible routes have.
    app.post("/own-errors", [](Body<Item> item) -> asio::awaitable<core::Result<std::string>> {
      if (*item->price > 100) co_return core::Error{402, "too_dear", "Too dear", nullptr};
      co_return *item->name;
    }, {.errors = {.respond = answer_in_own_shape, .validation_status = 400}});
    app.get("/result", [](Query<"ok", bool> ok) -> asio::awaitable<core::Result<std::string>> {
      if (*ok) co_return std::string("fine");
      co_return core::Error{409, "conflict", "Not fine", nullptr};
    });
  }

  std::optional<test::RawResponse> post_item(const std::string& target, const std::string& body,
                                             const std::string& headers = "User-Agent: tester\r\n") {
    return test::request(running->port(), "POST", target, body, headers + "Content-Type: application/json\r\n");
  }

  std::shared_ptr<Counter> counter = std::make_shared<Counter>();
  App app{1};
  std::optional<test::RunningApp> running;
  void start() { running.emplace(app); }
};

TEST_F(BindTest, BindsEverySourceAndAppliesDefaults) {
  start();
  auto r = post_item("/items/7?q=a%20b&tag=x&tag=y", R"({"name":"pen","price":1.5})",
                     "User-Agent: tester\r\nCookie: theme=dark; session=abc\r\n");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 201);
  EXPECT_EQ(json::parse(r->body),
            json::parse(R"({"id":7,"name":"pen","q":"a b","tags":["x","y"],"agent":"tester","session":"abc","limit":10})"));
  EXPECT_EQ(counter->value.load(), 1);
}

TEST_F(BindTest, ReportsEveryInvalidParameterAtOnce) {
  start();
  auto r = post_item("/items/0?limit=500", R"({"name":"","price":-1})", "");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 422);
  auto body = json::parse(r->body);
  EXPECT_EQ(body.at("code"), "validation_error");
  std::vector<std::string> got;
  for (const auto& issue : body.at("detail").as_array())
    got.push_back(std::string(issue.at("type").as_string()) + " " + json::serialize(issue.at("loc")));
  EXPECT_EQ(got, (std::vector<std::string>{
                     R"(greater_than_equal ["path","id"])",
                     R"(missing ["query","q"])",
                     R"(less_than_equal ["query","limit"])",
                     R"(missing ["header","User-Agent"])",
                     R"(string_too_short ["body","name"])",
                     R"(greater_than_equal ["body","price"])",
                 }));
  EXPECT_EQ(body.at("detail").at(0).at("input"), "0");
  EXPECT_EQ(counter->value.load(), 0) << "the handler must not run";
}

TEST_F(BindTest, InvalidJsonIsJsonInvalidWithItsPosition) {
  start();
  auto r = post_item("/items/1?q=x", R"({"name": "pen", "price": })");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 422);
  auto issue = json::parse(r->body).at("detail").at(0);
  EXPECT_EQ(issue.at("type"), "json_invalid");
  EXPECT_EQ(issue.at("msg"), "JSON decode error");
  EXPECT_EQ(issue.at("loc"), json::parse(R"(["body",25])"));
}

TEST_F(BindTest, MissingBodyIsReported) {
  start();
  auto r = post_item("/items/1?q=x", "");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 422);
  EXPECT_EQ(json::parse(r->body).at("detail").at(0).at("loc"), json::parse(R"(["body"])"));
}

TEST_F(BindTest, DependencyThatFailsToBuildIs500) {
  start();
  auto r = test::request(running->port(), "GET", "/broken");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 500);
  EXPECT_EQ(json::parse(r->body).at("code"), "internal_error");
}

TEST_F(BindTest, ARouteAnswersItsFailuresInItsOwnErrorFormat) {
  start();
  auto invalid = post_item("/own-errors", R"({"name":"","price":1})");
  ASSERT_TRUE(invalid);
  EXPECT_EQ(invalid->status, 400);
  EXPECT_EQ(json::parse(invalid->body), json::parse(R"({"oops":"validation_error"})"));
  auto failed = post_item("/own-errors", R"({"name":"gold","price":1000})");
  ASSERT_TRUE(failed);
  EXPECT_EQ(failed->status, 402);
  EXPECT_EQ(json::parse(failed->body), json::parse(R"({"oops":"too_dear"})"));
  auto ok = post_item("/own-errors", R"({"name":"pen","price":1})");
  ASSERT_TRUE(ok);
  EXPECT_EQ(ok->body, R"("pen")");
}

TEST_F(BindTest, ResultErrorsBecomeTheirResponse) {
  start();
  auto ok = test::request(running->port(), "GET", "/result?ok=true");
  ASSERT_TRUE(ok);
  EXPECT_EQ(ok->body, R"("fine")");
  auto conflict = test::request(running->port(), "GET", "/result?ok=false");
  ASSERT_TRUE(conflict);
  EXPECT_EQ(conflict->status, 409);
  EXPECT_EQ(json::parse(conflict->body).at("code"), "conflict");
  auto bad = test::request(running->port(), "GET", "/result?ok=perhaps");
  ASSERT_TRUE(bad);
  EXPECT_EQ(bad->status, 422);
  EXPECT_EQ(json::parse(bad->body).at("detail").at(0).at("type"), "bool_parsing");
}

TEST_F(BindTest, PerRequestCleanupRunsAfterTheResponse) {
  std::atomic<int> opened{0}, closed{0};
  struct Session {};
  app.services().add_per_request<Session>([&](di::Scope& scope) {
    ++opened;
    scope.on_exit([&] { ++closed; });
    return std::make_shared<Session>();
  });
  app.get("/session", [&](Depends<Session>) -> asio::awaitable<int> { co_return closed.load(); });
  start();
  auto r = test::request(running->port(), "GET", "/session");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->body, "0") << "cleanup ran before the handler answered";
  for (int i = 0; i < 100 && closed.load() == 0; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  EXPECT_EQ(opened.load(), 1);
  EXPECT_EQ(closed.load(), 1);
}

TEST_F(BindTest, OpenApiDocumentsParametersBodiesAndResponses) {
  auto doc = app.openapi();
  auto op = doc.at("paths").at("/items/{id}").at("post");
  auto params = op.at("parameters").as_array();
  ASSERT_EQ(params.size(), 6u);
  EXPECT_EQ(params[0], json::parse(R"({"name":"id","in":"path","required":true,"schema":{"type":"integer","minimum":1}})"));
  EXPECT_EQ(params[2].at("schema"), json::parse(R"({"type":"array","items":{"type":"string"}})"));
  EXPECT_EQ(params[3].at("required"), false);
  EXPECT_EQ(params[5].at("in"), "cookie");
  EXPECT_EQ(op.at("requestBody").at("content").at("application/json").at("schema"),
            json::parse(R"({"$ref":"#/components/schemas/Item"})"));
  EXPECT_TRUE(op.at("responses").as_object().contains("201"));
  EXPECT_TRUE(op.at("responses").as_object().contains("422"));
  EXPECT_EQ(doc.at("openapi"), "3.1.0");
  EXPECT_TRUE(doc.at("components").at("schemas").as_object().contains("Created"));
  EXPECT_TRUE(doc.at("components").at("schemas").as_object().contains("HTTPValidationError"));
  EXPECT_FALSE(doc.at("paths").at("/broken").at("get").at("responses").as_object().contains("422"));
}

}  // namespace
}  // namespace sluice::api
