#pragma once
// RESP encoding and decoding via hiredis, which is used only as a codec: the socket is ours.

#include "sluice/client/redis_client.hpp"

#include <string>
#include <vector>

struct redisReply;
struct redisReader;

namespace sluice::client {

/// The RESP request for `args` (binary-safe).
std::string encode_command(const std::vector<std::string>& args);
/// A hiredis reply reader that refuses aggregates of more than 1,048,576 elements: hiredis 0.14
/// allocates an array's slots as soon as it reads its header, so `*2147483647\r\n` from a broken
/// server would ask for 16 GiB (found by the resp_reply fuzz target). Free with redisReaderFree.
redisReader* create_reply_reader();
/// An owned copy of a reply hiredis has parsed.
RedisReply to_reply(const redisReply& reply);

}  // namespace sluice::client
