// The RESP reader the Redis client uses: bounded aggregates (found by the resp_reply fuzz target).
#include "redis_codec.hpp"

#include <hiredis/hiredis.h>
#include <gtest/gtest.h>

#include <string_view>

namespace sluice::client {
namespace {

struct Reader {
  redisReader* reader = create_reply_reader();
  ~Reader() { redisReaderFree(reader); }
  int read(std::string_view bytes, void** reply) {
    redisReaderFeed(reader, bytes.data(), bytes.size());
    return redisReaderGetReply(reader, reply);
  }
};

TEST(RedisCodec, AHugeArrayHeaderIsAProtocolErrorNotAnAllocation) {
  Reader r;
  void* reply = nullptr;
  // hiredis 0.14 would allocate 2^31 slots (16 GiB) for this header before any element arrives.
  EXPECT_EQ(r.read("*2147483647\r\n", &reply), REDIS_ERR);
  EXPECT_EQ(reply, nullptr);
}

TEST(RedisCodec, OrdinaryRepliesStillParse) {
  Reader r;
  void* reply = nullptr;
  ASSERT_EQ(r.read("*2\r\n$3\r\nfoo\r\n:42\r\n", &reply), REDIS_OK);
  ASSERT_NE(reply, nullptr);
  auto owned = to_reply(*static_cast<redisReply*>(reply));
  freeReplyObject(reply);
  ASSERT_EQ(owned.type, RedisReply::Type::array);
  ASSERT_EQ(owned.elements.size(), 2u);
  EXPECT_EQ(owned.elements[0].text, "foo");
  EXPECT_EQ(owned.elements[1].integer, 42);
}

}  // namespace
}  // namespace sluice::client
