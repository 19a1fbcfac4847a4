// RESP replies as a Redis server (or anything answering on its port) might send them, parsed by
// hiredis' reader and copied into RedisReply as the client does.
#include "redis_codec.hpp"

#include <hiredis/hiredis.h>

#include <cstddef>
#include <cstdint>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  redisReader* reader = sluice::client::create_reply_reader();  // as the client reads
  redisReaderFeed(reader, reinterpret_cast<const char*>(data), size);
  for (;;) {
    void* reply = nullptr;
    if (redisReaderGetReply(reader, &reply) != REDIS_OK || reply == nullptr) break;
    auto owned = sluice::client::to_reply(*static_cast<redisReply*>(reply));
    (void)owned;
    freeReplyObject(reply);
  }
  redisReaderFree(reader);
  return 0;
}
