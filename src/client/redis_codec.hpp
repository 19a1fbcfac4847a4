#pragma once
// RESP encoding and decoding via hiredis, which is used only as a codec: the socket is ours.

#include "sluice/client/redis_client.hpp"

#include <string>
#include <vector>

struct redisReply;

namespace sluice::client {

/// The RESP request for `args` (binary-safe).
std::string encode_command(const std::vector<std::string>& args);
/// An owned copy of a reply hiredis has parsed.
RedisReply to_reply(const redisReply& reply);

}  // namespace sluice::client
