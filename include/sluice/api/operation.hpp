#pragma once
// What the OpenAPI document says about one route.

#include "sluice/api/error_format.hpp"
#include "sluice/http/guard.hpp"
#include "sluice/http/handler.hpp"
#include "sluice/http/message.hpp"

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace sluice::api {

/// Per-route options, as FastAPI's decorator arguments: `{.summary = "...", .status_code = 202}`.
struct RouteDoc {
  std::string summary;
  std::string description;
  std::vector<std::string> tags;
  unsigned status_code = 200;  // status of a successful typed response
  std::string response_description = "Successful Response";
  bool deprecated = false;
  bool include_in_schema = true;
  /// Guards of this route only, after the app's (App::guard): API keys, rate limits, admission
  /// control — what FastAPI's `dependencies=[...]` on a decorator is used for.
  http::Guards guards;
  /// Middleware around this route only (outside its guards), outermost first: deadlines.
  std::vector<http::Middleware> middleware;
  /// Errors the handler may answer besides 422, in the shared error shape: {{503, "At capacity"}}.
  std::vector<std::pair<unsigned, std::string>> responses;
  /// How the route answers invalid input and its handler's errors (default: Sluice's shape).
  ErrorFormat errors;
  /// The route's body limit in bytes, enforced before the body is read (413); 0: the server's
  /// --body-limit. Uploads set their own: `{.body_limit = options.upload_limit}`.
  std::uint64_t body_limit = 0;
  /// Whether a large body may be spooled to a temporary file rather than read into memory.
  bool may_spool_body = true;
  /// Content types the route reads other than through a typed Body<T> (which documents
  /// application/json itself): each becomes a requestBody entry in the OpenAPI document, with
  /// a schema where one is given (null: any content of that type).
  std::vector<std::pair<std::string, boost::json::value>> request_content;
};

struct Operation {
  http::Verb method;
  std::string path;
  RouteDoc doc;
  boost::json::array parameters;          // OpenAPI parameter objects
  boost::json::value request_body = nullptr;  // schema of the JSON body, if any
  bool is_body_required = false;
  boost::json::value response = nullptr;  // schema of the success body; null: not described
  bool validates_input = false;           // may answer doc.errors.validation_status
  boost::json::value error_schema = nullptr;  // schema of its error bodies; null: Sluice's "Error"
  http::Guards guards;                    // the route's own guards (what they may answer is documented)
};

struct ApiInfo {
  std::string title = "Sluice";
  std::string version = "0.1.0";
  std::string description;
};

class SchemaRegistry;

/// The OpenAPI 3.1 document for `operations`, with `schemas` as components.
/// `app_guards` stand in front of every operation, before its own.
boost::json::object openapi_document(const ApiInfo& info, const std::vector<Operation>& operations,
                                     const SchemaRegistry& schemas, const http::Guards& app_guards = {});

}  // namespace sluice::api
