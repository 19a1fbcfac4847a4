#pragma once
// Where a handler parameter comes from. A typed handler declares them and the library binds,
// validates (422 with every failure) and documents them:
//
//   app.get("/items/{item_id}", [](Path<"item_id", int> id, Query<"q", std::optional<std::string>> q,
//                                 Depends<Db> db) -> awaitable<Item> { ... });
//
// T may be any type Codec<T> reads from text (scalars, enums, std::optional, Field<...>;
// std::vector for repeated query keys). `Default` makes a parameter optional with that value:
// Query<"limit", Field<int, Ge<1>, Le<100>>, 10>.

#include "sluice/api/name.hpp"

#include <memory>
#include <utility>

namespace sluice::api {

/// Marks "no default": the parameter is required (unless T is std::optional).
struct NoDefault {};

template <class T>
struct ParamValue {
  using value_type = T;
  T value{};
  operator const T&() const { return value; }  // NOLINT(google-explicit-constructor)
  const T& operator*() const { return value; }
  T& operator*() { return value; }
  const T* operator->() const { return &value; }
};

/// A query-string parameter: `?name=...`.
template <Name N, class T, auto Default = NoDefault{}>
struct Query : ParamValue<T> {};
/// A `{name}` segment of the route's path.
template <Name N, class T>
struct Path : ParamValue<T> {};
/// A request header (the name as sent, case-insensitive).
template <Name N, class T, auto Default = NoDefault{}>
struct Header : ParamValue<T> {};
/// A cookie from the `Cookie` header.
template <Name N, class T, auto Default = NoDefault{}>
struct Cookie : ParamValue<T> {};
/// The JSON request body, read into model T.
template <class T>
struct Body : ParamValue<T> {};

/// A dependency from the DI container (FastAPI's `Depends`): singleton or per-request.
template <class T>
struct Depends {
  std::shared_ptr<T> value;
  T& operator*() const { return *value; }
  T* operator->() const { return value.get(); }
};

}  // namespace sluice::api
