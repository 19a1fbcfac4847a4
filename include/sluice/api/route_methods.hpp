#pragma once
// app.get(...), group.post(...): the verb shorthands App and RouteGroup share, written once.

#include "sluice/api/operation.hpp"
#include "sluice/http/message.hpp"

#include <string_view>
#include <utility>

namespace sluice::api {

/// Mixed into a class with `route(verb, path, handler, doc)` (CRTP): get/post/put/del call it.
template <class Routes>
class RouteMethods {
 public:
  template <class F>
  Routes& get(std::string_view path, F handler, RouteDoc doc = {}) {
    return routes().route(http::Verb::get, path, std::move(handler), std::move(doc));
  }
  template <class F>
  Routes& post(std::string_view path, F handler, RouteDoc doc = {}) {
    return routes().route(http::Verb::post, path, std::move(handler), std::move(doc));
  }
  template <class F>
  Routes& put(std::string_view path, F handler, RouteDoc doc = {}) {
    return routes().route(http::Verb::put, path, std::move(handler), std::move(doc));
  }
  template <class F>
  Routes& del(std::string_view path, F handler, RouteDoc doc = {}) {
    return routes().route(http::Verb::delete_, path, std::move(handler), std::move(doc));
  }

 private:
  Routes& routes() { return static_cast<Routes&>(*this); }
};

}  // namespace sluice::api
