// The HTTP layer through real sockets: every kind of bad input has a defined outcome.
#include "raw_http.hpp"
#include "test_app.hpp"

#include "sluice/http/sse.hpp"

#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json/parse.hpp>
#include <gtest/gtest.h>

#include <atomic>
#include <cstdio>
#include <filesystem>

#include <unistd.h>

namespace sluice::http {
namespace {

using namespace std::chrono_literals;
using test::RawConnection;

namespace asio = boost::asio;

class ServerTest : public ::testing::Test {
 protected:
  ServerTest() {
    app.get("/health", [](Request&) -> asio::awaitable<Response> { co_return Response::json({{"status", "ok"}}); });
    app.get("/echo", [](Request& req) -> asio::awaitable<Response> {
      co_return Response::text(req.query("say").value_or(""));
    });
    app.post("/upload", [](Request& req) -> asio::awaitable<Response> {
      co_return Response::json({{"bytes", req.body().size()}});
    });
    // What a handler sees of a body, to compare with what was sent.
    app.post("/digest", [](Request& req) -> asio::awaitable<Response> {
      std::uint64_t sum = 0;
      for (unsigned char c : req.body()) sum = sum * 31 + c;
      co_return Response::json({{"bytes", req.body().size()}, {"sum", sum}});
    });
    app.get("/boom", [](Request&) -> asio::awaitable<Response> {
      throw std::runtime_error("handler bug");
      co_return Response();
    });
    app.get("/events", [](Request&) -> asio::awaitable<Response> {
      co_return Response::stream("text/event-stream", [](StreamWriter& out) -> asio::awaitable<void> {
        for (int i = 1; i <= 3; ++i) {
          asio::steady_timer pause(co_await asio::this_coro::executor, 10ms);
          co_await pause.async_wait(asio::use_awaitable);
          if (!co_await out.write(sse_event(std::to_string(i), "tick"))) co_return;
        }
      });
    });
    app.get("/slow", [this](Request&) -> asio::awaitable<Response> {
      ++slow_started;
      asio::steady_timer timer(co_await asio::this_coro::executor, 300ms);
      co_await timer.async_wait(asio::use_awaitable);
      co_return Response::json({{"slow", true}});
    });
  }

  static ServerOptions small_limits() {
    ServerOptions options;
    options.body_limit = 1024;
    options.read_timeout = 300ms;
    return options;
  }

  App app{1};
  std::atomic<int> slow_started{0};
};

using test::json_of;

TEST_F(ServerTest, ServesKeepAliveRequestsOnOneConnection) {
  test::RunningApp server(app);
  RawConnection c(server.port());
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(c.send("GET /health HTTP/1.1\r\nHost: x\r\n\r\n"));
    auto r = c.read_response();
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 200);
    EXPECT_EQ(r->header("content-type"), "application/json");
    EXPECT_EQ(r->body, R"({"status":"ok"})");
  }
}

TEST_F(ServerTest, AnswersPipelinedRequestsInOrder) {
  test::RunningApp server(app);
  RawConnection c(server.port());
  ASSERT_TRUE(c.send("GET /echo?say=one HTTP/1.1\r\nHost: x\r\n\r\nGET /echo?say=two HTTP/1.1\r\nHost: x\r\n\r\n"
                     "GET /echo?say=three HTTP/1.1\r\nHost: x\r\n\r\n"));
  for (auto expected : {"one", "two", "three"}) {
    auto r = c.read_response();
    ASSERT_TRUE(r);
    EXPECT_EQ(r->body, expected);
  }
}

TEST_F(ServerTest, HeadAnswersLikeGetWithoutTheBody) {
  test::RunningApp server(app);
  RawConnection c(server.port());
  ASSERT_TRUE(c.send("HEAD /health HTTP/1.1\r\nHost: x\r\n\r\nGET /echo?say=after HTTP/1.1\r\nHost: x\r\n\r\n"));
  // The raw reader frames by Content-Length, so read the HEAD reply's head by hand.
  auto head = c.read_response(2s);  // treats the 15-byte length as a body: it gets the next reply's bytes
  ASSERT_TRUE(head);
  EXPECT_EQ(head->status, 200);
  EXPECT_EQ(head->header("content-length"), "15");
  EXPECT_EQ(head->body.substr(0, 8), "HTTP/1.1") << "no body bytes were sent for HEAD";
}

TEST_F(ServerTest, StreamsChunkedEventsThenKeepsTheConnection) {
  test::RunningApp server(app);
  RawConnection c(server.port());
  ASSERT_TRUE(c.send("GET /events HTTP/1.1\r\nHost: x\r\n\r\n"));
  std::string raw;
  auto deadline = std::chrono::steady_clock::now() + 5s;
  // Read until the terminating zero-length chunk.
  while (raw.find("\r\n0\r\n\r\n") == std::string::npos && std::chrono::steady_clock::now() < deadline) {
    auto part = c.read_some(1s);
    if (part.empty()) break;
    raw += part;
  }
  EXPECT_NE(raw.find("Transfer-Encoding: chunked"), std::string::npos) << raw;
  EXPECT_NE(raw.find("Content-Type: text/event-stream"), std::string::npos);
  EXPECT_NE(raw.find("event: tick\ndata: 1\n\n"), std::string::npos);
  EXPECT_NE(raw.find("event: tick\ndata: 3\n\n"), std::string::npos);
  EXPECT_LT(raw.find("data: 1"), raw.find("data: 2"));
  ASSERT_TRUE(c.send("GET /health HTTP/1.1\r\nHost: x\r\n\r\n"));
  auto after = c.read_response();
  ASSERT_TRUE(after);
  EXPECT_EQ(after->status, 200);
}

TEST(SseEvent, FramesEveryLine) {
  EXPECT_EQ(sse_event("a\nb", "progress", "7"), "event: progress\nid: 7\ndata: a\ndata: b\n\n");
  EXPECT_EQ(sse_event("{}"), "data: {}\n\n");
}

TEST_F(ServerTest, UnknownPathIs404Json) {
  test::RunningApp server(app);
  auto r = test::request(server.port(), "GET", "/missing");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 404);
  EXPECT_EQ(json_of(*r).at("code"), "not_found");
  EXPECT_EQ(json_of(*r).at("detail"), "Not Found");
}

TEST_F(ServerTest, WrongMethodIs405WithAllow) {
  test::RunningApp server(app);
  auto r = test::request(server.port(), "DELETE", "/health");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 405);
  EXPECT_EQ(r->header("allow"), "GET");
  EXPECT_EQ(json_of(*r).at("code"), "method_not_allowed");
}

TEST_F(ServerTest, HandlerExceptionIs500AndServerKeepsServing) {
  test::RunningApp server(app);
  RawConnection c(server.port());
  ASSERT_TRUE(c.send("GET /boom HTTP/1.1\r\nHost: x\r\n\r\n"));
  auto r = c.read_response();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 500);
  EXPECT_EQ(json_of(*r).at("code"), "internal_error");
  EXPECT_EQ(r->body.find("handler bug"), std::string::npos) << "internals must not leak to clients";
  ASSERT_TRUE(c.send("GET /health HTTP/1.1\r\nHost: x\r\n\r\n"));
  auto after = c.read_response();
  ASSERT_TRUE(after);
  EXPECT_EQ(after->status, 200);
}

TEST_F(ServerTest, MalformedRequestIs400AndClose) {
  test::RunningApp server(app);
  RawConnection c(server.port());
  ASSERT_TRUE(c.send("GET /health HTTP/1.1\r\nHost x-no-colon\r\n\r\n"));
  auto r = c.read_response();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 400);
  EXPECT_EQ(json_of(*r).at("code"), "bad_request");
  EXPECT_EQ(r->header("connection"), "close");
  EXPECT_TRUE(c.is_closed_by_peer(2s));
}

TEST_F(ServerTest, OversizedHeaderBlockIs431) {
  test::RunningApp server(app);
  RawConnection c(server.port());
  std::string head = "GET /health HTTP/1.1\r\nHost: x\r\nX-Big: ";
  head.append(17 * 1024, 'a');  // appended, not concatenated: GCC 12 -O3 warns falsely on operator+ here
  head.append("\r\n\r\n");
  ASSERT_TRUE(c.send(head));
  auto r = c.read_response();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 431);
  EXPECT_EQ(json_of(*r).at("code"), "request_header_fields_too_large");
  EXPECT_TRUE(c.is_closed_by_peer(3s));
}

TEST_F(ServerTest, BodyOverLimitIs413BeforeTheBodyIsSent) {
  test::RunningApp server(app, small_limits());
  RawConnection c(server.port());
  // Only the head is sent: the server must refuse on Content-Length alone.
  ASSERT_TRUE(c.send("POST /upload HTTP/1.1\r\nHost: x\r\nContent-Length: 50000000\r\n\r\n"));
  auto r = c.read_response(3s);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 413);
  EXPECT_EQ(json_of(*r).at("code"), "payload_too_large");
}

TEST_F(ServerTest, BodyWithinLimitIsRead) {
  test::RunningApp server(app, small_limits());
  auto r = test::request(server.port(), "POST", "/upload", std::string(1000, 'x'));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(json_of(*r).at("bytes"), 1000);
}

TEST_F(ServerTest, ARouteOwnBodyLimitReplacesTheServersBeforeTheBodyIsRead) {
  auto bytes = [](Request& req) -> asio::awaitable<Response> {
    co_return Response::json({{"bytes", req.body().size()}, {"spooled", req.is_body_spooled()}});
  };
  app.post("/large-uploads", bytes, {.body_limit = 100'000});
  app.post("/in-memory", bytes, {.may_spool_body = false});
  auto options = small_limits();
  options.body_limit = 20'000;
  options.spool_above = 1000;
  test::RunningApp server(app, options);
  auto large = test::request(server.port(), "POST", "/large-uploads", std::string(50'000, 'x'));
  ASSERT_TRUE(large);
  EXPECT_EQ(large->status, 200) << "the route's limit, not the server's";
  EXPECT_EQ(json_of(*large).at("bytes"), 50'000);
  EXPECT_EQ(json_of(*large).at("spooled"), true);
  auto elsewhere = test::request(server.port(), "POST", "/upload", std::string(50'000, 'x'));
  ASSERT_TRUE(elsewhere);
  EXPECT_EQ(elsewhere->status, 413) << "other routes keep the server's";
  RawConnection c(server.port());
  ASSERT_TRUE(c.send("POST /large-uploads HTTP/1.1\r\nHost: x\r\nContent-Length: 200000\r\n\r\n"));
  auto refused = c.read_response(3s);
  ASSERT_TRUE(refused);
  EXPECT_EQ(refused->status, 413) << "refused on Content-Length alone";
  auto kept = test::request(server.port(), "POST", "/in-memory", std::string(5000, 'x'));
  ASSERT_TRUE(kept);
  EXPECT_EQ(json_of(*kept).at("bytes"), 5000);
  EXPECT_EQ(json_of(*kept).at("spooled"), false) << "a route that may not spool reads into memory";
}

std::uint64_t digest(std::string_view body) {
  std::uint64_t sum = 0;
  for (unsigned char c : body) sum = sum * 31 + c;
  return sum;
}

TEST_F(ServerTest, LargeAndChunkedBodiesAreSpooledToAFileAndReadIntact) {
  auto spool = std::filesystem::temp_directory_path() / ("sluice-spool-test-" + std::to_string(::getpid()));
  std::filesystem::create_directories(spool);
  ServerOptions options;
  options.body_limit = 64 << 20;
  options.spool_above = 1000;
  options.spool_dir = spool;
  test::RunningApp server(app, options);
  std::string large(5'000'000, '\0');
  for (std::size_t i = 0; i < large.size(); ++i) large[i] = static_cast<char>((i * 7919) % 251);
  // Twice on one connection: a spooled body must leave the connection ready for the next request.
  RawConnection c(server.port());
  for (int round = 0; round < 2; ++round) {
    ASSERT_TRUE(c.send("POST /digest HTTP/1.1\r\nHost: x\r\nContent-Length: " + std::to_string(large.size()) +
                       "\r\n\r\n" + large));
    auto r = c.read_response(10s);
    ASSERT_TRUE(r);
    EXPECT_EQ(json_of(*r).at("bytes").to_number<std::size_t>(), large.size());
    EXPECT_EQ(json_of(*r).at("sum").to_number<std::uint64_t>(), digest(large));
  }
  // Chunked: no length known up front, so spooled too.
  ASSERT_TRUE(c.send("POST /digest HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
                     "5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n"));
  auto chunked = c.read_response(3s);
  ASSERT_TRUE(chunked);
  EXPECT_EQ(json_of(*chunked).at("bytes"), 11);
  EXPECT_EQ(json_of(*chunked).at("sum").to_number<std::uint64_t>(), digest("hello world"));
  // Small bodies stay in memory; and the spool files have no names, so nothing is left behind.
  auto small = test::request(server.port(), "POST", "/digest", "tiny");
  ASSERT_TRUE(small);
  EXPECT_EQ(json_of(*small).at("bytes"), 4);
  EXPECT_TRUE(std::filesystem::is_empty(spool));
  std::filesystem::remove_all(spool);
}

TEST_F(ServerTest, ASpooledBodyOverTheLimitIs413) {
  ServerOptions options;
  options.body_limit = 4096;
  options.spool_above = 100;
  test::RunningApp server(app, options);
  RawConnection c(server.port());
  std::string chunk(3000, 'x');
  auto hex = [](std::size_t n) {
    char text[16];
    return std::string(text, static_cast<std::size_t>(std::snprintf(text, sizeof text, "%zx", n)));
  };
  ASSERT_TRUE(c.send("POST /digest HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n" + hex(chunk.size()) +
                     "\r\n" + chunk + "\r\n" + hex(chunk.size()) + "\r\n" + chunk + "\r\n0\r\n\r\n"));
  auto r = c.read_response(3s);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 413);
}

TEST_F(ServerTest, ExpectContinueGetsA100First) {
  test::RunningApp server(app);
  RawConnection c(server.port());
  ASSERT_TRUE(c.send("POST /upload HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 5\r\n\r\n"));
  auto interim = c.read_response();
  ASSERT_TRUE(interim);
  EXPECT_EQ(interim->status, 100);
  ASSERT_TRUE(c.send("hello"));
  auto r = c.read_response();
  ASSERT_TRUE(r);
  EXPECT_EQ(json_of(*r).at("bytes"), 5);
}

TEST_F(ServerTest, SlowClientIsClosedAtTheReadDeadline) {
  test::RunningApp server(app, small_limits());
  RawConnection c(server.port());
  // Slowloris: a byte every 100 ms never completes the header; the 300 ms deadline is per request.
  auto start = std::chrono::steady_clock::now();
  bool closed = false;
  for (char ch : std::string("GET /health HTTP/1.1\r\nHost: x\r\nX-Slow: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaa")) {
    if (!c.send(std::string(1, ch)) || c.is_closed_by_peer(100ms)) {
      closed = true;
      break;
    }
  }
  EXPECT_TRUE(closed);
  EXPECT_LT(std::chrono::steady_clock::now() - start, 2s);
}

TEST_F(ServerTest, IdleKeepAliveConnectionIsClosedAtTheReadDeadline) {
  test::RunningApp server(app, small_limits());
  RawConnection c(server.port());
  ASSERT_TRUE(c.send("GET /health HTTP/1.1\r\nHost: x\r\n\r\n"));
  ASSERT_TRUE(c.read_response());
  EXPECT_TRUE(c.is_closed_by_peer(2s));
}

TEST_F(ServerTest, Http10ClosesAfterTheResponse) {
  test::RunningApp server(app);
  RawConnection c(server.port());
  ASSERT_TRUE(c.send("GET /health HTTP/1.0\r\n\r\n"));
  auto r = c.read_response();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_TRUE(c.is_closed_by_peer(2s));
}

TEST_F(ServerTest, GracefulStopFinishesInFlightRequests) {
  auto server = std::make_unique<test::RunningApp>(app);
  RawConnection busy(server->port());
  RawConnection idle(server->port());
  ASSERT_TRUE(busy.send("GET /slow HTTP/1.1\r\nHost: x\r\n\r\n"));
  while (slow_started.load() == 0) std::this_thread::sleep_for(5ms);
  std::thread stopper([&] { server.reset(); });  // stop() + join: returns once drained
  auto r = busy.read_response(5s);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->header("connection"), "close");
  EXPECT_TRUE(idle.is_closed_by_peer(2s));
  stopper.join();
}


TEST_F(ServerTest, ConnectionsPastTheCapGet503AndTheOthersKeepWorking) {
  auto options = small_limits();
  options.read_timeout = 10s;
  options.max_connections = 2;
  test::RunningApp server(app, options);
  RawConnection first(server.port());
  RawConnection second(server.port());
  ASSERT_TRUE(first.send("GET /health HTTP/1.1\r\nHost: x\r\n\r\n"));
  ASSERT_TRUE(first.read_response());
  ASSERT_TRUE(second.send("GET /health HTTP/1.1\r\nHost: x\r\n\r\n"));
  ASSERT_TRUE(second.read_response());  // both are open and counted now

  RawConnection third(server.port());
  auto refused = third.read_response(5s);  // answered without being asked
  ASSERT_TRUE(refused);
  EXPECT_EQ(refused->status, 503);
  EXPECT_EQ(boost::json::parse(refused->body).at("code"), "too_many_connections");
  EXPECT_TRUE(third.is_closed_by_peer(2s));
  EXPECT_EQ(app.server_stats().rejected_connections.load(), 1u);

  ASSERT_TRUE(first.send("GET /health HTTP/1.1\r\nHost: x\r\n\r\n"));
  EXPECT_EQ(first.read_response()->status, 200);
}

}  // namespace
}  // namespace sluice::http
