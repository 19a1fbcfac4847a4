#include "sluice/di/container.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace sluice::di {
namespace {

struct Database {
  std::string url;
};
struct Repository {
  std::shared_ptr<Database> db;
};
struct Session {
  int id;
};

TEST(Container, SingletonInstanceIsShared) {
  Container c;
  auto db = std::make_shared<Database>(Database{"sqlite://x"});
  c.add_singleton<Database>(db);
  EXPECT_EQ(c.get<Database>(), db);
  Scope scope(c);
  EXPECT_EQ(scope.get<Database>(), db);
}

TEST(Container, SingletonFactoryRunsOnceAndMayDependOnOthers) {
  Container c;
  int builds = 0;
  c.add_singleton<Database>(std::make_shared<Database>(Database{"pg"}));
  c.add_singleton<Repository>(std::function<std::shared_ptr<Repository>(Container&)>([&](Container& inner) {
    ++builds;
    return std::make_shared<Repository>(Repository{inner.get<Database>()});
  }));
  c.start();
  auto a = c.get<Repository>();
  auto b = c.get<Repository>();
  EXPECT_EQ(a, b);
  EXPECT_EQ(builds, 1);
  EXPECT_EQ(a->db->url, "pg");
}

TEST(Container, PerRequestIsFreshPerScopeAndSharedWithinOne) {
  Container c;
  int next = 0;
  c.add_per_request<Session>([&](Scope&) { return std::make_shared<Session>(Session{++next}); });
  Scope first(c);
  EXPECT_EQ(first.get<Session>(), first.get<Session>());
  Scope second(c);
  EXPECT_NE(first.get<Session>()->id, second.get<Session>()->id);
  EXPECT_THROW(c.get<Session>(), MissingDependency);  // not a singleton
}

TEST(Container, CleanupsRunWhenTheScopeEndsInReverseOrder) {
  Container c;
  std::vector<std::string> log;
  c.add_per_request<Session>([&](Scope& s) {
    log.push_back("open session");
    s.on_exit([&] { log.push_back("close session"); });
    return std::make_shared<Session>(Session{1});
  });
  c.add_per_request<Repository>([&](Scope& s) {
    s.get<Session>();
    log.push_back("open repo");
    s.on_exit([&] { log.push_back("close repo"); });
    return std::make_shared<Repository>();
  });
  {
    Scope scope(c);
    scope.get<Repository>();
    EXPECT_EQ(log.size(), 2u);
  }
  EXPECT_EQ(log, (std::vector<std::string>{"open session", "open repo", "close repo", "close session"}));
}

TEST(Container, FailingCleanupDoesNotStopTheOthers) {
  Container c;
  bool second_ran = false;
  {
    Scope scope(c);
    scope.on_exit([&] { second_ran = true; });
    scope.on_exit([] { throw std::runtime_error("boom"); });
  }
  EXPECT_TRUE(second_ran);
}

TEST(Container, LifespanHooksRunInOrderThenReverse) {
  Container c;
  std::vector<int> order;
  c.on_startup([&] { order.push_back(1); });
  c.on_startup([&] { order.push_back(2); });
  c.on_shutdown([&] { order.push_back(-1); });
  c.on_shutdown([&] { throw std::runtime_error("failing hook is logged"); });
  c.on_shutdown([&] { order.push_back(-3); });
  c.start();
  c.stop();
  EXPECT_EQ(order, (std::vector<int>{1, 2, -3, -1}));
}

TEST(Container, OverrideReplacesARegistration) {
  Container c;
  c.add_per_request<Database>([](Scope&) { return std::make_shared<Database>(Database{"real"}); });
  c.override_with<Database>(std::make_shared<Database>(Database{"fake"}));
  Scope scope(c);
  EXPECT_EQ(scope.get<Database>()->url, "fake");
}

TEST(Container, MissingAndFailingDependenciesThrow) {
  Container c;
  Scope scope(c);
  EXPECT_THROW(scope.get<Database>(), MissingDependency);
  c.add_per_request<Session>([](Scope&) -> std::shared_ptr<Session> { throw std::runtime_error("no db"); });
  EXPECT_THROW(scope.get<Session>(), std::runtime_error);
}

}  // namespace
}  // namespace sluice::di
