#pragma once
// The context API that /generate calls (the article's external service), on loopback: one
// implementation for the end-to-end tests and for bench/context_api.cpp.

#include "test_app.hpp"

#include <chrono>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

namespace sluice::test {

/// What the context API was asked, for tests to check.
struct ContextRecord {
  std::mutex mutex;  // guards the rest: requests arrive on the app's IO thread
  std::string last_query;
  std::string last_request_id;
  int calls = 0;
};

/// GET /context?query=... → {"documents": [...]} after `delay`; GET /slow answers after 700 ms
/// (past a client's short timeout); GET /health. With `record`, /context notes each request.
void add_context_routes(App& app, std::chrono::milliseconds delay = {},
                        std::shared_ptr<ContextRecord> record = nullptr);

/// The context API running in this process on an ephemeral port.
class ContextApi {
 public:
  explicit ContextApi(std::chrono::milliseconds delay = {});
  std::string url(const std::string& path = "/context") const { return running_->url(path); }
  std::string last_query();
  std::string last_request_id();
  int calls();

 private:
  std::shared_ptr<ContextRecord> record_ = std::make_shared<ContextRecord>();
  App app_{1};
  std::optional<RunningApp> running_;
};

}  // namespace sluice::test
