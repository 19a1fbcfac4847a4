#include "sluice/cache/response_cache.hpp"

#include "sluice/http/request.hpp"

namespace sluice::cache {

namespace {

/// Stored as "<content type>\n<body>": a content type has no newline.
class ResponseCacheGuard final : public http::Guard {
 public:
  ResponseCacheGuard(std::shared_ptr<MemoryCache> cache, std::chrono::milliseconds ttl)
      : cache_(std::move(cache)), ttl_(ttl) {}

  Verdict enter(http::Request& request, http::GuardState& state, std::optional<http::Response>& answer) override {
    state.values[0] = request.method() == http::Verb::get ? 1 : 0;  // cacheable: store in leave()
    if (state.values[0] == 0) return Verdict::pass;
    auto stored = cache_->lookup(key(request));
    if (!stored) return Verdict::pass;
    auto newline = stored->find('\n');
    answer = http::Response::text(stored->substr(newline + 1), std::string_view(*stored).substr(0, newline));
    answer->append_header("X-Cache", "HIT");
    return Verdict::answer;
  }

  void leave(http::Request& request, http::GuardState& state, http::Response& response) override {
    if (state.values[0] == 0) return;
    response.append_header("X-Cache", "MISS");
    if (response.status() != http::Status::ok || response.is_streaming()) return;
    std::string value(response.header("Content-Type"));
    value += '\n';
    value += response.body();
    cache_->store(key(request), std::move(value), ttl_);
  }

 private:
  static std::string key(const http::Request& request) { return "GET " + std::string(request.target()); }

  std::shared_ptr<MemoryCache> cache_;
  std::chrono::milliseconds ttl_;
};

}  // namespace

std::shared_ptr<http::Guard> response_cache(std::shared_ptr<MemoryCache> cache, std::chrono::milliseconds ttl) {
  return std::make_shared<ResponseCacheGuard>(std::move(cache), ttl);
}

}  // namespace sluice::cache
