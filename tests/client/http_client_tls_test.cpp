// https end to end on loopback: the client against the server, both speaking TLS, with
// certificates made by the test (test_pki). Verification is on: a good certificate passes, a
// wrong host name or an unknown CA fails with an error that says which.
#include "sluice/client/http_client.hpp"

#include "run_coroutine.hpp"
#include "test_app.hpp"
#include "test_pki.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <gtest/gtest.h>

#include <atomic>
#include <thread>

namespace sluice::client {
namespace {

using namespace std::chrono_literals;
namespace asio = boost::asio;
using http::Request;
using http::Response;

using test::run_coroutine;

const test::TestPki& pki() {
  static test::TestPki shared;  // making keys costs a few openssl runs: once per test binary
  return shared;
}

http::ServerOptions tls_server(const std::string& cert, const std::string& key) {
  http::ServerOptions options;
  options.port = 0;
  options.io_threads = 1;
  options.handle_signals = false;
  options.tls_cert_file = cert;
  options.tls_key_file = key;
  return options;
}

class HttpsTest : public ::testing::Test {
 protected:
  HttpsTest() {
    app.get("/hello", [](Request& req) -> asio::awaitable<Response> {
      co_return Response::json({{"hello", req.query("name").value_or("world")}});
    });
    app.post("/echo", [](Request& req) -> asio::awaitable<Response> { co_return Response::text(std::string(req.body())); });
    app.get("/events", [](Request&) -> asio::awaitable<Response> {
      co_return Response::stream("text/event-stream", [](http::StreamWriter& out) -> asio::awaitable<void> {
        for (int i = 1; i <= 3; ++i)
          if (!co_await out.write("data: " + std::to_string(i) + "\n\n")) co_return;
      });
    });
    app.get("/wait", [this](Request&) -> asio::awaitable<Response> {
      struct Exit {
        std::atomic<int>& counter;
        ~Exit() { ++counter; }
      } exit{waits_ended};
      ++waits_started;
      asio::steady_timer timer(co_await asio::this_coro::executor, 60s);
      co_await timer.async_wait(asio::use_awaitable);
      co_return Response::text("waited");
    });
  }
  App app{1};
  std::atomic<int> waits_started{0}, waits_ended{0};
};

TEST_F(HttpsTest, AGoodCertificatePassesByNameAndByAddress) {
  test::RunningApp server(app, tls_server(pki().cert_file, pki().key_file));
  HttpClient client({.ca_file = pki().ca_file});
  const auto port = std::to_string(server.port());
  for (const auto& host : {"localhost", "127.0.0.1"}) {
    auto url = "https://" + std::string(host) + ":" + port + "/hello?name=tls";
    auto r = run_coroutine([&] { return client.get(url); });
    ASSERT_TRUE(r) << host << ": " << r.error().message;
    EXPECT_EQ(r->status, 200u);
    EXPECT_EQ(r->body, R"({"hello":"tls"})");
  }
  auto posted = run_coroutine([&] {
    return client.request(http::Verb::post, "https://localhost:" + port + "/echo", "sent over TLS", "text/plain");
  });
  ASSERT_TRUE(posted) << posted.error().message;
  EXPECT_EQ(posted->body, "sent over TLS");
}

TEST_F(HttpsTest, StreamsOverTls) {
  test::RunningApp server(app, tls_server(pki().cert_file, pki().key_file));
  HttpClient client({.ca_file = pki().ca_file});
  std::string received;
  auto r = run_coroutine([&] {
    return client.stream(http::Verb::get, "https://localhost:" + std::to_string(server.port()) + "/events", {}, {},
                         [&](std::string chunk) -> asio::awaitable<bool> {
                           received += chunk;
                           co_return true;
                         });
  });
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(received, "data: 1\n\ndata: 2\n\ndata: 3\n\n");
}

TEST_F(HttpsTest, AWrongHostNameFailsWithAClearError) {
  test::RunningApp server(app, tls_server(pki().wrong_name_cert_file, pki().wrong_name_key_file));
  HttpClient client({.ca_file = pki().ca_file});
  const auto port = std::to_string(server.port());
  auto by_name = run_coroutine([&] { return client.get("https://localhost:" + port + "/hello"); });
  ASSERT_FALSE(by_name);
  EXPECT_EQ(by_name.error().status, 502u);
  EXPECT_EQ(by_name.error().code, "upstream_tls_error");
  EXPECT_NE(by_name.error().message.find("hostname mismatch"), std::string::npos) << by_name.error().message;
  auto by_address = run_coroutine([&] { return client.get("https://127.0.0.1:" + port + "/hello"); });
  ASSERT_FALSE(by_address);
  EXPECT_NE(by_address.error().message.find("IP address mismatch"), std::string::npos)
      << by_address.error().message;
}

TEST_F(HttpsTest, AnUnknownCaFailsWithAClearError) {
  test::RunningApp server(app, tls_server(pki().stranger_cert_file, pki().stranger_key_file));
  HttpClient client({.ca_file = pki().ca_file});
  auto r = run_coroutine([&] { return client.get("https://localhost:" + std::to_string(server.port()) + "/hello"); });
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, "upstream_tls_error");
  EXPECT_NE(r.error().message.find("certificate rejected: unable to get local issuer certificate"), std::string::npos)
      << r.error().message;
}

TEST_F(HttpsTest, WithoutTheCaFileTheTestCaIsUnknown) {
  test::RunningApp server(app, tls_server(pki().cert_file, pki().key_file));
  HttpClient client;  // the system's store only
  auto r = run_coroutine([&] { return client.get("https://localhost:" + std::to_string(server.port()) + "/hello"); });
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, "upstream_tls_error");
}

TEST_F(HttpsTest, PlainHttpToATlsServerFailsAndTheServerCarriesOn) {
  test::RunningApp server(app, tls_server(pki().cert_file, pki().key_file));
  HttpClient client({.timeout = 2s, .ca_file = pki().ca_file});
  const auto port = std::to_string(server.port());
  auto plain = run_coroutine([&] { return client.get("http://127.0.0.1:" + port + "/hello"); });
  ASSERT_FALSE(plain);
  auto tls = run_coroutine([&] { return client.get("https://127.0.0.1:" + port + "/hello"); });
  ASSERT_TRUE(tls) << tls.error().message;
}

TEST_F(HttpsTest, AClientThatLeavesATlsConnectionCancelsItsHandler) {
  test::RunningApp server(app, tls_server(pki().cert_file, pki().key_file));
  HttpClient client({.timeout = 300ms, .ca_file = pki().ca_file});
  // The client gives up (its deadline) and closes; the server's handler must not wait on.
  auto r = run_coroutine([&] { return client.get("https://localhost:" + std::to_string(server.port()) + "/wait"); });
  ASSERT_FALSE(r);
  EXPECT_EQ(waits_started, 1);
  const auto deadline = std::chrono::steady_clock::now() + 10s;
  while (waits_ended == 0 && std::chrono::steady_clock::now() < deadline) std::this_thread::sleep_for(5ms);
  EXPECT_EQ(waits_ended, 1) << "the handler still waits for a client that left";
}

TEST(HttpsOptions, AnUnreadableCaFileIsAnErrorThatNamesIt) {
  try {
    HttpClient client({.ca_file = "/nonexistent/ca.pem"});
    FAIL() << "no error";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("/nonexistent/ca.pem"), std::string::npos) << e.what();
  }
}

TEST(HttpsOptions, AnUnreadableKeyFileIsAnErrorThatNamesIt) {
  core::ComputePool compute{1};
  di::Container container;
  http::Router router;
  try {
    http::Server server(tls_server(pki().cert_file, "/nonexistent/server.key"), router, container, compute);
    FAIL() << "no error";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("/nonexistent/server.key"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace sluice::client
