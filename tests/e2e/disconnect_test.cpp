// The real binary: a client that closes its connection mid-GET /generate cancels the call to
// the context API, which sees its caller hang up long before any deadline.
#include "raw_http.hpp"
#include "server_process.hpp"
#include "silent_upstream.hpp"

#include <gtest/gtest.h>

#include <optional>

namespace sluice::test {
namespace {

using namespace std::chrono_literals;

TEST(Disconnect, ClosingMidGenerateCancelsTheUpstreamCall) {
  SilentUpstream context;
  ServerProcess server({"--context-url", context.url("/context"), "--context-timeout-ms", "60000",
                        "--request-timeout-ms", "60000"});
  std::optional<RawConnection> client(server.port());
  ASSERT_TRUE(client->send("GET /generate?prompt=hello HTTP/1.1\r\nHost: x\r\n\r\n"));
  ASSERT_TRUE(context.wait_for_requests(1, 10s));
  client.reset();
  EXPECT_TRUE(context.wait_for_hang_ups(1, 10s)) << "the context call outlived its client";
  // The server is unharmed and serves the next client.
  auto health = request(server.port(), "GET", "/health");
  ASSERT_TRUE(health);
  EXPECT_EQ(health->status, 200);
}

}  // namespace
}  // namespace sluice::test
