// The HTTP request path short of the socket: Beast's parser with the server's limits, then what
// the server does with a parsed request — route matching with path parameters, percent-decoded
// path parameters, query values and cookies, and the rate-limit keys read from X-Forwarded-For
// and Authorization (the guards' input).
#include "sluice/core/compute_pool.hpp"
#include "sluice/di/container.hpp"
#include "sluice/http/request.hpp"
#include "sluice/http/router.hpp"
#include "sluice/limits/keys.hpp"

#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>

#include <cstddef>
#include <cstdint>

namespace {

namespace http = sluice::http;
namespace beast_http = boost::beast::http;

http::Router& router() {
  static http::Router router = [] {
    http::Router r;
    http::Handler none = [](http::Request&) -> boost::asio::awaitable<http::Response> { co_return http::Response{}; };
    for (const char* pattern : {"/health", "/generate", "/jobs", "/jobs/{job_id}", "/jobs/{job_id}/events",
                                "/datasets/{dataset_id}/process", "/datasets/{dataset_id}/documents/{document_id}",
                                "/v1/files/{file_id}/content"})
      r.add(http::Verb::get, pattern, none);
    r.add(http::Verb::post, "/datasets/{dataset_id}/process", none);
    return r;
  }();
  return router;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static sluice::core::ComputePool compute(1);
  static sluice::di::Container container;
  static const auto by_address = sluice::limits::by_client_address(
      sluice::limits::TrustedProxies({"127.0.0.0/8", "10.0.0.0/8", "::1"}));
  static const auto by_key = sluice::limits::by_api_key();

  beast_http::request_parser<beast_http::string_body> parser;
  parser.header_limit(16 * 1024);  // the server's defaults
  parser.body_limit(64 * 1024);
  parser.eager(true);
  boost::beast::error_code ec;
  parser.put(boost::asio::buffer(data, size), ec);
  if (ec || !parser.is_done()) return 0;

  auto message = parser.release();
  auto [path, query] = http::split_target(message.target());
  auto match = router().match(message.method(), path);
  sluice::di::Scope scope(container);
  http::Request request(std::move(message), std::move(match.params), boost::asio::ip::make_address("127.0.0.1"), scope,
                        compute);
  for (const char* name : {"job_id", "dataset_id", "document_id", "file_id"}) (void)request.path_param(name);
  for (const char* name : {"prompt", "q", "", "a b"}) {
    (void)request.query(name);
    (void)request.query_all(name);
  }
  (void)request.cookie("session");
  (void)by_address(request);
  (void)by_key(request);
  return 0;
}
