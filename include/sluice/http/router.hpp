#pragma once
// Method + path → handler, with `{name}` path parameters.

#include "sluice/http/handler.hpp"
#include "sluice/http/request.hpp"
#include "sluice/http/response.hpp"

#include <boost/asio/awaitable.hpp>

#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace sluice::http {

/// A registered route, as documentation generators and tests see it.
struct RouteInfo {
  Verb method;
  std::string pattern;
};

/// Matches requests to handlers. Routes are added before the server starts; matching is
/// read-only and safe from every IO thread.
class Router {
 public:
  /// `pattern` is a path such as `/datasets/{dataset_id}/process`; a `{name}` segment matches
  /// any one non-empty segment and is available as `req.path_param("name")`.
  void add(Verb method, std::string_view pattern, Handler handler);

  struct Match {
    const Handler* handler = nullptr;  // null: no route for this method (see `allow`)
    std::string_view pattern;          // the matched route's pattern, e.g. "/jobs/{job_id}"
    std::vector<PathParam> params;
    std::string allow;  // when the path exists under other methods: "GET, POST"
  };
  Match match(Verb method, std::string_view path) const;

  std::vector<RouteInfo> routes() const;

 private:
  struct Segment {
    std::string text;
    bool is_param = false;
  };
  struct Route {
    Verb method;
    std::string pattern;
    std::vector<Segment> segments;
    Handler handler;
  };

  // unique_ptr keeps each Route (and the pattern that PathParam::name views) at a fixed address.
  std::vector<std::unique_ptr<Route>> routes_;
  struct PathHash {
    using is_transparent = void;  // lets find() take the request's string_view without a copy
    std::size_t operator()(std::string_view path) const { return std::hash<std::string_view>{}(path); }
  };
  std::unordered_map<std::string, std::vector<const Route*>, PathHash, std::equal_to<>> static_routes_;
  std::vector<const Route*> dynamic_routes_;  // patterns with {params}, tried in order
};

}  // namespace sluice::http
