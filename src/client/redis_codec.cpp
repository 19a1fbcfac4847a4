#include "redis_codec.hpp"

#include <hiredis/hiredis.h>

#include <memory>
#include <new>

namespace sluice::client {

std::string encode_command(const std::vector<std::string>& args) {
  std::vector<const char*> argv;
  std::vector<std::size_t> lengths;
  argv.reserve(args.size());
  lengths.reserve(args.size());
  for (const auto& arg : args) {
    argv.push_back(arg.data());
    lengths.push_back(arg.size());
  }
  char* target = nullptr;
  int size = redisFormatCommandArgv(&target, static_cast<int>(args.size()), argv.data(), lengths.data());
  if (size < 0) throw std::bad_alloc();  // its only failure mode
  std::unique_ptr<char, void (*)(char*)> owned(target, redisFreeCommand);
  return std::string(target, static_cast<std::size_t>(size));
}

namespace {

constexpr int kMaxAggregateElements = 1 << 20;

// hiredis' own reply builders, with the array builder bounded (see create_reply_reader).
const redisReplyObjectFunctions& bounded_functions(const redisReplyObjectFunctions& defaults) {
  static void* (*const create_array)(const redisReadTask*, int) = defaults.createArray;
  static redisReplyObjectFunctions bounded = [&] {
    auto functions = defaults;
    functions.createArray = [](const redisReadTask* task, int elements) -> void* {
      if (elements > kMaxAggregateElements) return nullptr;  // the reader reports "Out of memory"
      return create_array(task, elements);
    };
    return functions;
  }();
  return bounded;
}

}  // namespace

redisReader* create_reply_reader() {
  redisReader* reader = redisReaderCreate();
  if (!reader) throw std::bad_alloc();
  reader->fn = const_cast<redisReplyObjectFunctions*>(&bounded_functions(*reader->fn));
  return reader;
}

RedisReply to_reply(const redisReply& reply) {
  RedisReply out;
  switch (reply.type) {
    case REDIS_REPLY_INTEGER:
      out.type = RedisReply::Type::integer;
      out.integer = reply.integer;
      break;
    case REDIS_REPLY_NIL:
      out.type = RedisReply::Type::nil;
      break;
    case REDIS_REPLY_ARRAY:
      out.type = RedisReply::Type::array;
      out.elements.reserve(reply.elements);
      for (std::size_t i = 0; i < reply.elements; ++i) out.elements.push_back(to_reply(*reply.element[i]));
      break;
    case REDIS_REPLY_STATUS:
      out.type = RedisReply::Type::status;
      out.text.assign(reply.str, reply.len);
      break;
    case REDIS_REPLY_ERROR:
      out.type = RedisReply::Type::error;
      out.text.assign(reply.str, reply.len);
      break;
    default:  // REDIS_REPLY_STRING; hiredis 0.14 speaks RESP2 only
      out.type = RedisReply::Type::string;
      if (reply.str) out.text.assign(reply.str, reply.len);
      break;
  }
  return out;
}

}  // namespace sluice::client
