#pragma once
// Method + path → handler, with `{name}` path parameters.

#include "sluice/http/handler.hpp"
#include "sluice/http/request.hpp"
#include "sluice/http/response.hpp"

#include <boost/asio/awaitable.hpp>

#include <cstdint>
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

/// What a route accepts as a body, asked by the server once a request's header is read (before
/// any of its body): so each route's limit lives with the route, not in a table of paths.
struct BodyRules {
  std::uint64_t limit = 0;  // bytes at most; 0: the server's ServerOptions::body_limit
  /// Whether a large or chunked body may be read into a temporary file (ServerOptions::
  /// spool_above); false: always into memory, within `limit`.
  bool may_spool = true;
  bool is_default() const { return limit == 0 && may_spool; }
};

/// Matches requests to handlers. Routes are added before the server starts; matching is
/// read-only and safe from every IO thread.
class Router {
 public:
  /// `pattern` is a path such as `/datasets/{dataset_id}/process`; a `{name}` segment matches
  /// any one non-empty segment and is available as `req.path_param("name")`.
  void add(Verb method, std::string_view pattern, Handler handler, BodyRules body = {});

  struct Match {
    const Handler* handler = nullptr;  // null: no route for this method (see `allow`)
    std::string_view pattern;          // the matched route's pattern, e.g. "/jobs/{job_id}"
    std::vector<PathParam> params;
    std::string allow;  // when the path exists under other methods: "GET, POST"
  };
  Match match(Verb method, std::string_view path) const;

  /// The body rules of the route `method` and `path` (a request target's path) would reach;
  /// the default rules when none matches.
  BodyRules body_rules(Verb method, std::string_view path) const;
  /// Whether some route has rules other than the default (else body_rules() need not be asked).
  bool has_body_rules() const { return has_body_rules_; }
  /// The smallest limit a route sets (none: the largest value): a body no larger than this, the
  /// server's own limit and its spooling threshold is read the same way on every route.
  std::uint64_t smallest_body_limit() const { return smallest_body_limit_; }

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
    BodyRules body;
  };

  // unique_ptr keeps each Route (and the pattern that PathParam::name views) at a fixed address.
  std::vector<std::unique_ptr<Route>> routes_;
  struct PathHash {
    using is_transparent = void;  // lets find() take the request's string_view without a copy
    std::size_t operator()(std::string_view path) const { return std::hash<std::string_view>{}(path); }
  };
  std::unordered_map<std::string, std::vector<const Route*>, PathHash, std::equal_to<>> static_routes_;
  std::vector<const Route*> dynamic_routes_;  // patterns with {params}, tried in order
  bool has_body_rules_ = false;
  std::uint64_t smallest_body_limit_ = UINT64_MAX;
  /// The route of `method` and `path`, or null; fills `allow` (and `params`, when given).
  const Route* find(Verb method, std::string_view path, std::string& allow, std::vector<PathParam>* params) const;
};

}  // namespace sluice::http
