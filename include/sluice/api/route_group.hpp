#pragma once
// Route groups: FastAPI's APIRouter + include_router. A feature's routes share a prefix, tags,
// guards and middleware, and are mounted on an App (or another group) in one call:
//
//   api::RouteGroup jobs({.prefix = "/jobs", .tags = {"jobs"}, .guards = {api_key}});
//   jobs.get("", list_jobs).get("/{job_id}", get_job).del("/{job_id}", cancel_job);
//   app.include(jobs);                                   // GET /jobs, GET /jobs/{job_id}, ...
//   app.include(jobs::routes(queue), {.prefix = "/v2"}); // a library's group, under a prefix
//
// Handlers are bound (typed parameters, OpenAPI) when the group is included, with the App's
// schema registry, so a group can be built before the App that mounts it exists.

#include "sluice/api/bind.hpp"
#include "sluice/api/operation.hpp"
#include "sluice/api/route_methods.hpp"

#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace sluice::api {

/// What a group adds to each of its routes: the path prefix, tags before the route's own,
/// guards in front of the route's own (after the app's), middleware around the route's own.
struct RouteGroupOptions {
  std::string prefix;  // "/jobs": no trailing slash; routes add "" or "/{job_id}"
  std::vector<std::string> tags;
  http::Guards guards;
  std::vector<http::Middleware> middleware;
};

class RouteGroup : public RouteMethods<RouteGroup> {
 public:
  explicit RouteGroup(RouteGroupOptions options = {}) : options_(std::move(options)) {}

  /// Adds a route, as App::route does (same handler forms, same RouteDoc).
  template <class F>
  RouteGroup& route(http::Verb method, std::string_view path, F handler, RouteDoc doc = {}) {
    auto shared = std::make_shared<F>(std::move(handler));  // std::function needs a copyable callable
    routes_.push_back({method, std::string(path), std::move(doc),
                       [shared](http::Verb verb, std::string full_path, RouteDoc route_doc, SchemaRegistry& schemas) {
                         return bind_route(*shared, verb, std::move(full_path), std::move(route_doc), schemas);
                       }});
    return *this;
  }

  /// Adds every route of `group` (its own prefix, tags, guards and middleware applied), then
  /// `extra` on top: `api.include(jobs, {.prefix = "/admin"})`.
  RouteGroup& include(const RouteGroup& group, const RouteGroupOptions& extra = {});

  /// A route as the group holds it, with the group's options not yet applied.
  struct Entry {
    http::Verb method;
    std::string path;
    RouteDoc doc;
    std::function<BoundRoute(http::Verb, std::string, RouteDoc, SchemaRegistry&)> bind;
  };
  /// The routes with this group's options applied (what App::include mounts).
  std::vector<Entry> entries() const;
  const RouteGroupOptions& options() const { return options_; }

 private:
  RouteGroupOptions options_;
  std::vector<Entry> routes_;
};

/// Applies `options` to `entry`: prefix, then tags, guards and middleware before its own.
void apply(const RouteGroupOptions& options, RouteGroup::Entry& entry);

}  // namespace sluice::api
