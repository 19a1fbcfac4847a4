#pragma once
// Turns a typed handler into an http::Handler plus its OpenAPI operation.

#include "sluice/api/model.hpp"
#include "sluice/api/operation.hpp"
#include "sluice/api/params.hpp"
#include "sluice/http/router.hpp"

#include <boost/asio/awaitable.hpp>
#include <boost/json/array.hpp>

#include <optional>
#include <string>
#include <tuple>
#include <type_traits>
#include <utility>

namespace sluice::api {

namespace detail {

template <class... A>
struct type_list {};

// The parameter and result types of a handler: lambda, function, function pointer, std::function.
template <class F>
struct callable : callable<decltype(&F::operator())> {};
template <class C, class R, class... A>
struct callable<R (C::*)(A...) const> {
  using result = R;
  using args = type_list<A...>;
};
template <class C, class R, class... A>
struct callable<R (C::*)(A...)> : callable<R (C::*)(A...) const> {};
template <class R, class... A>
struct callable<R (*)(A...)> {
  using result = R;
  using args = type_list<A...>;
};
template <class R, class... A>
struct callable<R(A...)> : callable<R (*)(A...)> {};

template <class T>
struct awaited;
template <class T>
struct awaited<boost::asio::awaitable<T>> {
  using type = T;
};

template <class T>
struct is_vector : std::false_type {};
template <class U>
struct is_vector<std::vector<U>> : std::true_type {};

/// The value of a parameter that was not sent: its declared default, or T{} for optionals.
template <class T, auto Default>
std::optional<T> absent_value() {
  if constexpr (!std::is_same_v<std::remove_cvref_t<decltype(Default)>, NoDefault>) {
    if constexpr (requires { Default.view(); }) return T(std::string(Default.view()));
    else return T(Default);
  } else if constexpr (is_optional<T>::value || is_vector<T>::value) {
    return T{};
  } else if constexpr (is_field<T>::value) {
    if constexpr (is_optional<typename T::value_type>::value) return T{};
    else return std::nullopt;
  } else {
    return std::nullopt;
  }
}

/// A parameter read from text: query, path, header, cookie.
template <class P, class T, auto Default>
std::optional<P> bind_text(std::optional<std::string> text, Issues& issues, const Loc& loc) {
  if (!text) {
    auto fallback = absent_value<T, Default>();
    if (!fallback) {
      issues.add("missing", loc, "Field required", nullptr);
      return std::nullopt;
    }
    return P{{std::move(*fallback)}};
  }
  auto value = Codec<T>::from_text(*text, issues, loc);
  if (!value) return std::nullopt;
  return P{{std::move(*value)}};
}

boost::json::object parameter_doc(std::string_view name, std::string_view in, bool required,
                                  boost::json::object schema);
/// Parses a JSON body; on failure adds FastAPI's `json_invalid` issue at ["body", position].
std::optional<boost::json::value> parse_body(std::string_view body, Issues& issues);

template <class P>
struct Param;

template <>
struct Param<http::Request> {
  using Stored = http::Request*;
  static std::optional<Stored> bind(http::Request& req, Issues&) { return &req; }
  static http::Request& unwrap(Stored s) { return *s; }
  static void document(Operation&, SchemaRegistry&) {}
};

template <Name N, class T, auto D>
struct Param<Query<N, T, D>> {
  using Stored = Query<N, T, D>;
  static std::optional<Stored> bind(http::Request& req, Issues& issues) {
    Loc loc{"query", N.view()};
    if constexpr (is_vector<T>::value) {
      T values;
      bool ok = true;
      auto texts = req.query_all(N.view());
      for (std::size_t i = 0; i < texts.size(); ++i) {
        auto item = Codec<typename T::value_type>::from_text(texts[i], issues, loc / i);
        if (item) values.push_back(std::move(*item));
        else ok = false;
      }
      if (!ok) return std::nullopt;
      return Stored{{std::move(values)}};
    } else {
      return bind_text<Stored, T, D>(req.query(N.view()), issues, loc);
    }
  }
  static Stored unwrap(Stored& s) { return std::move(s); }
  static void document(Operation& op, SchemaRegistry& registry) {
    op.validates_input = true;
    op.parameters.push_back(
        parameter_doc(N.view(), "query", !absent_value<T, D>().has_value(), Codec<T>::schema(registry)));
  }
};

template <Name N, class T>
struct Param<Path<N, T>> {
  using Stored = Path<N, T>;
  static std::optional<Stored> bind(http::Request& req, Issues& issues) {
    auto text = req.path_param(N.view());
    return bind_text<Stored, T, NoDefault{}>(text ? std::optional<std::string>(*text) : std::nullopt, issues,
                                              Loc{"path", N.view()});
  }
  static Stored unwrap(Stored& s) { return std::move(s); }
  static void document(Operation& op, SchemaRegistry& registry) {
    op.validates_input = true;
    op.parameters.push_back(parameter_doc(N.view(), "path", true, Codec<T>::schema(registry)));
  }
};

template <Name N, class T, auto D>
struct Param<Header<N, T, D>> {
  using Stored = Header<N, T, D>;
  static std::optional<Stored> bind(http::Request& req, Issues& issues) {
    auto text = req.header(N.view());
    return bind_text<Stored, T, D>(text ? std::optional<std::string>(std::string(*text)) : std::nullopt, issues,
                                   Loc{"header", N.view()});
  }
  static Stored unwrap(Stored& s) { return std::move(s); }
  static void document(Operation& op, SchemaRegistry& registry) {
    op.validates_input = true;
    op.parameters.push_back(
        parameter_doc(N.view(), "header", !absent_value<T, D>().has_value(), Codec<T>::schema(registry)));
  }
};

template <Name N, class T, auto D>
struct Param<Cookie<N, T, D>> {
  using Stored = Cookie<N, T, D>;
  static std::optional<Stored> bind(http::Request& req, Issues& issues) {
    return bind_text<Stored, T, D>(req.cookie(N.view()), issues, Loc{"cookie", N.view()});
  }
  static Stored unwrap(Stored& s) { return std::move(s); }
  static void document(Operation& op, SchemaRegistry& registry) {
    op.validates_input = true;
    op.parameters.push_back(
        parameter_doc(N.view(), "cookie", !absent_value<T, D>().has_value(), Codec<T>::schema(registry)));
  }
};

template <class T>
struct Param<Body<T>> {
  using Stored = Body<T>;
  static constexpr bool is_required = !is_optional<T>::value;
  static std::optional<Stored> bind(http::Request& req, Issues& issues) {
    if (req.body().empty()) {
      if constexpr (is_required) {
        issues.add("missing", Loc{"body"}, "Field required", nullptr);
        return std::nullopt;
      } else {
        return Stored{{T{}}};
      }
    }
    auto json = parse_body(req.body(), issues);
    if (!json) return std::nullopt;
    auto value = Codec<T>::read(*json, issues, Loc{"body"});
    if (!value) return std::nullopt;
    return Stored{{std::move(*value)}};
  }
  static Stored unwrap(Stored& s) { return std::move(s); }
  static void document(Operation& op, SchemaRegistry& registry) {
    op.validates_input = true;
    op.request_body = Codec<T>::schema(registry);
    op.is_body_required = is_required;
  }
};

template <class T>
struct Param<Depends<T>> {
  using Stored = Depends<T>;
  static std::optional<Stored> bind(http::Request& req, Issues&) { return Stored{req.depends<T>()}; }
  static Stored unwrap(Stored& s) { return std::move(s); }
  static void document(Operation&, SchemaRegistry&) {}
};

template <class T>
struct is_result : std::false_type {};
template <class U>
struct is_result<core::Result<U>> : std::true_type {
  using value_type = U;
};

/// What the success body of a handler result `R` is documented as.
template <class R>
struct success_body {
  using type = R;
};
template <class U>
struct success_body<core::Result<U>> {
  using type = U;
};

template <class F, class... A>
struct Binding {
  template <class P>
  using ParamOf = Param<std::remove_cvref_t<P>>;
  using Tuple = std::tuple<std::optional<typename ParamOf<A>::Stored>...>;
  using Result = typename awaited<typename callable<F>::result>::type;

  template <std::size_t... I>
  static auto call(F& f, Tuple& bound, std::index_sequence<I...>) {
    return f(ParamOf<A>::unwrap(*std::get<I>(bound))...);
  }

  static http::Handler handler(F f, http::Status status, ErrorFormat errors) {
    return [f = std::move(f), status, errors](http::Request& req) mutable -> boost::asio::awaitable<http::Response> {
      Issues issues;
      // Braced initialisation binds parameters left to right, so issues come out in order.
      Tuple bound{ParamOf<A>::bind(req, issues)...};
      if (!issues.empty()) co_return errors.answer(issues.to_error());
      if constexpr (std::is_same_v<Result, http::Response>) {
        co_return co_await call(f, bound, std::index_sequence_for<A...>{});
      } else if constexpr (std::is_void_v<Result>) {
        co_await call(f, bound, std::index_sequence_for<A...>{});
        co_return http::Response(status);
      } else if constexpr (is_result<Result>::value) {
        // Expected failures are values: core::Result<T> answers its error, or T as JSON.
        Result result = co_await call(f, bound, std::index_sequence_for<A...>{});
        if (!result) co_return errors.answer(result.error());
        co_return http::Response::json(Codec<typename is_result<Result>::value_type>::write(*result), status);
      } else {
        Result result = co_await call(f, bound, std::index_sequence_for<A...>{});
        co_return http::Response::json(Codec<Result>::write(result), status);
      }
    };
  }

  static Operation operation(http::Verb method, std::string path, RouteDoc doc, SchemaRegistry& registry) {
    Operation op{method, std::move(path), std::move(doc)};
    (ParamOf<A>::document(op, registry), ...);
    if (op.doc.errors.schema) op.error_schema = op.doc.errors.schema(registry);
    using Success = typename success_body<Result>::type;
    if constexpr (!std::is_same_v<Success, http::Response> && !std::is_void_v<Success>)
      op.response = Codec<Success>::schema(registry);
    return op;
  }
};

template <class F, class... A>
Binding<F, A...> binding_of(type_list<A...>);

}  // namespace detail

/// A route ready to register: the handler that binds and validates, and its documentation.
struct BoundRoute {
  http::Handler handler;
  Operation operation;
};

/// Reads a JSON text into T exactly as a Body<T> parameter reads a request body, for bodies
/// that arrive another way (batch lines): the error is the 422 the route would answer.
template <class T>
core::Result<T> read_body(std::string_view body) {
  Issues issues;
  std::optional<T> value;
  if (auto json = detail::parse_body(body, issues)) value = Codec<T>::read(*json, issues, Loc{"body"});
  if (!value) return issues.to_error();
  return std::move(*value);
}

/// Binds `f`, a coroutine whose parameters are Path/Query/Header/Cookie/Body/Depends values or
/// `http::Request&`, and whose result is an http::Response, a model or other Codec-supported
/// value, a core::Result of one (its error becomes the response), or void.
template <class F>
BoundRoute bind_route(F f, http::Verb method, std::string path, RouteDoc doc, SchemaRegistry& registry) {
  using B = decltype(detail::binding_of<F>(typename detail::callable<F>::args{}));
  auto status = static_cast<http::Status>(doc.status_code);
  auto errors = doc.errors;
  Operation op = B::operation(method, std::move(path), std::move(doc), registry);
  return {B::handler(std::move(f), status, errors), std::move(op)};
}

}  // namespace sluice::api
