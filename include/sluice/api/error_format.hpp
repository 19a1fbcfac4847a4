#pragma once
// How a route answers its own failures: invalid input and a handler's core::Error.

#include "sluice/core/error.hpp"
#include "sluice/http/response.hpp"

#include <boost/json/object.hpp>

namespace sluice::api {

class SchemaRegistry;

/// Sluice's shape ({"code","message","detail"}, 422 with FastAPI's `detail` for invalid input)
/// unless a route sets another: the OpenAI-compatible routes answer {"error":{...}} with 400,
/// as OpenAI's clients expect (ai::openai::error_format()). Guards and middleware in front of
/// the route keep Sluice's shape.
struct ErrorFormat {
  /// Turns a failure into the response; nullptr: http::Response::error.
  http::Response (*respond)(const core::Error& error) = nullptr;
  /// The status invalid input is answered with, as documented.
  unsigned validation_status = 422;
  /// The schema of the error body in /openapi.json; nullptr: Sluice's.
  boost::json::object (*schema)(SchemaRegistry& registry) = nullptr;

  http::Response answer(const core::Error& error) const {
    return respond ? respond(error) : http::Response::error(error);
  }
};

}  // namespace sluice::api
