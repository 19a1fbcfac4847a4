#pragma once
// Where GET /generate gets the context it hands to the model.

#include "sluice/cache/cache.hpp"
#include "sluice/client/http_client.hpp"
#include "sluice/core/compute_pool.hpp"
#include "sluice/core/error.hpp"
#include "sluice/rag/datasets.hpp"

#include <boost/asio/awaitable.hpp>

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

namespace sluice::server {

class ContextSource {
 public:
  virtual ~ContextSource() = default;
  /// Context passages for `query`, one per line. `request_id` travels upstream as X-Request-ID.
  virtual boost::asio::awaitable<core::Result<std::string>> fetch(std::string query, std::string request_id) = 0;
};

/// The article's external call: GET `url`?query=... through the pooled async client. The
/// answer is `{"documents": [...]}` (one line per document), a JSON string, or plain text.
/// Unreachable → 502, past `timeout` → 504, non-2xx → 502.
class RemoteContextSource final : public ContextSource {
 public:
  RemoteContextSource(std::shared_ptr<client::HttpClient> client, std::string url, std::chrono::milliseconds timeout);
  boost::asio::awaitable<core::Result<std::string>> fetch(std::string query, std::string request_id) override;

 private:
  std::shared_ptr<client::HttpClient> client_;
  std::string url_;
  std::chrono::milliseconds timeout_;
};

/// The embedded default: a few built-in passages about Sluice, so /generate works with no
/// other service running. Returns them all; the model picks what matches.
class LocalContextSource final : public ContextSource {
 public:
  boost::asio::awaitable<core::Result<std::string>> fetch(std::string query, std::string request_id) override;
};

/// Another source's context, cached per query for `ttl` in `cache` (memory, or Redis shared by
/// every server); concurrent misses for one query make one upstream call. Errors are not cached.
class CachedContextSource final : public ContextSource {
 public:
  CachedContextSource(std::shared_ptr<ContextSource> source, std::shared_ptr<cache::Cache> cache,
                      std::chrono::milliseconds ttl);
  boost::asio::awaitable<core::Result<std::string>> fetch(std::string query, std::string request_id) override;

 private:
  std::shared_ptr<ContextSource> source_;
  std::shared_ptr<cache::Cache> cache_;
  std::chrono::milliseconds ttl_;
};

/// A dataset's best passages for the query (hybrid search, one per document), one per line.
class DatasetContextSource final : public ContextSource {
 public:
  /// `datasets` gives the server's rag::Datasets when the first request needs them.
  DatasetContextSource(std::function<std::shared_ptr<rag::Datasets>()> datasets, core::ComputePool& compute,
                       std::int64_t dataset_id);
  boost::asio::awaitable<core::Result<std::string>> fetch(std::string query, std::string request_id) override;

 private:
  std::function<std::shared_ptr<rag::Datasets>()> datasets_;
  core::ComputePool& compute_;
  std::int64_t dataset_id_;
};

/// Reads a context API's body: documents joined by newlines.
std::string context_from_body(std::string_view body);

}  // namespace sluice::server
