#include "context_source.hpp"

#include "sluice/cache/cached.hpp"

#include <boost/json/monotonic_resource.hpp>
#include <boost/json/parse.hpp>
#include <fmt/format.h>

namespace sluice::server {

namespace asio = boost::asio;

DatasetContextSource::DatasetContextSource(std::function<std::shared_ptr<rag::Datasets>()> datasets,
                                           core::ComputePool& compute, std::int64_t dataset_id)
    : datasets_(std::move(datasets)), compute_(compute), dataset_id_(dataset_id) {}

asio::awaitable<core::Result<std::string>> DatasetContextSource::fetch(std::string query, std::string) {
  auto datasets = datasets_();
  auto id = dataset_id_;
  auto dataset = co_await compute_.run([&] { return datasets->store().dataset(id); });
  if (!dataset) co_return core::Error{502, "context_unavailable", "The context dataset does not exist", nullptr};
  auto hits = co_await datasets->retrieve(*dataset, {.query = std::move(query), .k = 3, .group_by_document = true},
                                          compute_);
  if (!hits) co_return hits.error();
  std::string context;
  for (const auto& hit : *hits) context += hit.chunk.text + "\n";
  co_return context;
}

std::string context_from_body(std::string_view body) {
  boost::system::error_code ec;
  // The parsed value lives only in this call: its nodes come from one arena, starting on the
  // stack, instead of an allocation each.
  unsigned char arena[4096];
  boost::json::monotonic_resource memory(arena, sizeof arena);
  auto value = boost::json::parse(body, ec, &memory);
  if (ec) return std::string(body);
  if (value.is_string()) return std::string(value.get_string());
  std::string context;
  if (auto* object = value.if_object()) {
    if (auto* documents = object->if_contains("documents"); documents && documents->is_array()) {
      for (const auto& document : documents->get_array()) {
        if (!document.is_string()) continue;
        if (!context.empty()) context += '\n';
        context += document.get_string();
      }
      return context;
    }
  }
  return std::string(body);
}

RemoteContextSource::RemoteContextSource(std::shared_ptr<client::HttpClient> client, std::string url,
                                         std::chrono::milliseconds timeout)
    : client_(std::move(client)), url_(std::move(url)), timeout_(timeout) {}

boost::asio::awaitable<core::Result<std::string>> RemoteContextSource::fetch(std::string query,
                                                                            std::string request_id) {
  client::HttpClient::Headers headers;
  if (!request_id.empty()) headers.emplace_back("X-Request-ID", std::move(request_id));
  auto answer = co_await client_->get(client::with_query(url_, "query", query), timeout_, std::move(headers));
  if (!answer) co_return answer.error();
  if (answer->status < 200 || answer->status >= 300)
    co_return core::Error{502, "upstream_error", fmt::format("context API answered HTTP {}", answer->status), nullptr};
  co_return context_from_body(answer->body);
}

CachedContextSource::CachedContextSource(std::shared_ptr<ContextSource> source, std::shared_ptr<cache::Cache> cache,
                                         std::chrono::milliseconds ttl)
    : source_(std::move(source)), cache_(std::move(cache)), ttl_(ttl) {}

boost::asio::awaitable<core::Result<std::string>> CachedContextSource::fetch(std::string query,
                                                                            std::string request_id) {
  auto key = "context:" + query;
  // The producer is built before the co_await: GCC 12 mishandles a lambda temporary inside
  // the awaited expression (it crashed freeing the captures).
  cache::Producer produce = [source = source_, query = std::move(query), request_id = std::move(request_id)] {
    return source->fetch(query, request_id);
  };
  auto context = co_await cache::cached(*cache_, std::move(key), ttl_, std::move(produce));
  co_return context;
}

boost::asio::awaitable<core::Result<std::string>> LocalContextSource::fetch(std::string, std::string) {
  co_return std::string(
      "Sluice is a high-performance backend for AI systems written in C++20.\n"
      "It serves HTTP on Boost.Asio event loops and runs model work on a separate compute pool.\n"
      "Background tasks run after the response is sent.\n"
      "Rate limits protect expensive endpoints from bursts of traffic.\n"
      "Set --context-url to fetch context from an external API instead of these built-in passages.");
}

}  // namespace sluice::server
