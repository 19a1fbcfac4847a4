#include "sluice/http/router.hpp"

#include "percent_decode.hpp"

#include <algorithm>
#include <stdexcept>

namespace sluice::http {

namespace {

std::vector<std::string_view> split_path(std::string_view path) {
  std::vector<std::string_view> parts;
  std::size_t start = 1;  // skip the leading '/'
  while (start <= path.size()) {
    auto end = path.find('/', start);
    if (end == std::string_view::npos) end = path.size();
    parts.push_back(path.substr(start, end - start));
    start = end + 1;
  }
  return parts;
}

void append_allow(std::string& allow, Verb method) {
  if (!allow.empty()) allow += ", ";
  allow += std::string_view(beast_http::to_string(method));
}

}  // namespace

void Router::add(Verb method, std::string_view pattern, Handler handler, BodyRules body) {
  if (pattern.empty() || pattern.front() != '/') throw std::invalid_argument("route must start with '/'");
  has_body_rules_ |= !body.is_default();
  if (body.limit != 0) smallest_body_limit_ = std::min(smallest_body_limit_, body.limit);
  auto route = std::make_unique<Route>(Route{method, std::string(pattern), {}, std::move(handler), body});
  bool has_params = false;
  for (auto part : split_path(route->pattern)) {
    bool is_param = part.size() > 2 && part.front() == '{' && part.back() == '}';
    has_params |= is_param;
    route->segments.push_back({std::string(is_param ? part.substr(1, part.size() - 2) : part), is_param});
  }
  if (has_params)
    dynamic_routes_.push_back(route.get());
  else
    static_routes_[route->pattern].push_back(route.get());
  routes_.push_back(std::move(route));
}

const Router::Route* Router::find(Verb method, std::string_view path, std::string& allow,
                                  std::vector<PathParam>* params) const {
  if (auto it = static_routes_.find(path); it != static_routes_.end()) {
    for (const Route* route : it->second) {
      if (route->method == method) return route;
      append_allow(allow, route->method);
    }
  }
  if (dynamic_routes_.empty()) return nullptr;

  auto parts = split_path(path);
  std::vector<PathParam> found;
  for (const Route* route : dynamic_routes_) {
    if (route->segments.size() != parts.size()) continue;
    found.clear();
    bool matched = true;
    for (std::size_t i = 0; i < parts.size() && matched; ++i) {
      const Segment& segment = route->segments[i];
      if (!segment.is_param) {
        matched = segment.text == parts[i];
      } else if (auto value = detail::percent_decode(parts[i], false); value && !parts[i].empty()) {
        if (params) found.push_back({segment.text, std::move(*value)});
      } else {
        matched = false;
      }
    }
    if (!matched) continue;
    if (route->method != method) {
      append_allow(allow, route->method);
      continue;
    }
    allow.clear();
    if (params) *params = std::move(found);
    return route;
  }
  return nullptr;
}

Router::Match Router::match(Verb method, std::string_view path) const {
  Match result;
  if (const Route* route = find(method, path, result.allow, &result.params)) {
    result.handler = &route->handler;
    result.pattern = route->pattern;
  }
  return result;
}

BodyRules Router::body_rules(Verb method, std::string_view path) const {
  std::string allow;
  const Route* route = find(method, path, allow, nullptr);
  return route ? route->body : BodyRules{};
}

std::vector<RouteInfo> Router::routes() const {
  std::vector<RouteInfo> out;
  for (const auto& route : routes_) out.push_back({route->method, route->pattern});
  return out;
}

}  // namespace sluice::http
