#pragma once
// Models: plain structs described once with BOOST_DESCRIBE_STRUCT, which gives them JSON
// reading (with validation), JSON writing and a JSON Schema. Codec<T> does this for every
// supported type: bool, integers, floating point, std::string, described enums,
// std::optional, std::vector, std::variant (the first alternative that reads the value),
// Field<T, constraints...>, described structs (with their described bases), boost::json::value.
//
//   struct Item {
//     Field<std::string, MinLength<1>> name;
//     std::optional<std::string> description;   // optional: may be absent or null
//     Field<int, Ge<0>, WithDefault> stock = 0;  // optional: absent keeps 0
//     static constexpr bool forbid_extra_fields = true;  // unknown keys → 422 (default: ignored)
//     static constexpr bool omit_null_fields = true;     // written without null members (default: kept)
//   };
//   BOOST_DESCRIBE_STRUCT(Item, (), (name, description, stock))

#include "sluice/api/constraints.hpp"
#include "sluice/api/schema_registry.hpp"
#include "sluice/api/validation.hpp"

#include <boost/describe/enumerators.hpp>
#include <boost/describe/members.hpp>
#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/string.hpp>
#include <boost/json/value.hpp>
#include <boost/mp11/algorithm.hpp>

#include <charconv>
#include <cmath>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <variant>
#include <vector>

namespace sluice::api {

template <class T>
struct Codec;

template <class T>
concept Model = std::is_class_v<T> && boost::describe::has_describe_members<T>::value;
template <class T>
concept DescribedEnum = std::is_enum_v<T> && boost::describe::has_describe_enumerators<T>::value;

namespace detail {

template <class T>
struct is_optional : std::false_type {};
template <class U>
struct is_optional<std::optional<U>> : std::true_type {};

template <class T>
struct is_field : std::false_type {};
template <class U, class... C>
struct is_field<Field<U, C...>> : std::true_type {};

/// A model member that may be absent from the JSON.
template <class M>
constexpr bool is_omittable() {
  if constexpr (is_optional<M>::value) return true;
  else if constexpr (is_field<M>::value) return M::has_default || is_optional<typename M::value_type>::value;
  else return false;
}

template <class T>
constexpr bool forbids_extra_fields() {
  if constexpr (requires { T::forbid_extra_fields; }) return T::forbid_extra_fields;
  else return false;
}

template <class T>
constexpr bool omits_null_fields() {
  if constexpr (requires { T::omit_null_fields; }) return T::omit_null_fields;
  else return false;
}

/// Reports a value no alternative of a variant read: the failures of the alternatives that
/// accepted its kind (a list whose items are wrong), or one issue naming every expected kind.
void report_union(const std::vector<Issues>& failures, Issues& issues, const Loc& loc,
                  const boost::json::value& input);

// Scalar parsing, shared by every instantiation (defined in model.cpp).
std::optional<bool> parse_bool(std::string_view text);
std::optional<double> parse_double(std::string_view text);
boost::json::value describe_input(std::string_view text);

}  // namespace detail

template <>
struct Codec<bool> {
  static std::optional<bool> from_text(std::string_view text, Issues& issues, const Loc& loc);
  static std::optional<bool> read(const boost::json::value& v, Issues& issues, const Loc& loc);
  static boost::json::value write(bool v) { return v; }
  static boost::json::object schema(SchemaRegistry&) { return {{"type", "boolean"}}; }
};

template <>
struct Codec<std::string> {
  static std::optional<std::string> from_text(std::string_view text, Issues&, const Loc&) {
    return std::string(text);
  }
  static std::optional<std::string> read(const boost::json::value& v, Issues& issues, const Loc& loc);
  static boost::json::value write(const std::string& v) { return boost::json::string(v); }
  static boost::json::object schema(SchemaRegistry&) { return {{"type", "string"}}; }
};

template <>
struct Codec<boost::json::value> {
  static std::optional<boost::json::value> read(const boost::json::value& v, Issues&, const Loc&) { return v; }
  static boost::json::value write(const boost::json::value& v) { return v; }
  static boost::json::object schema(SchemaRegistry&) { return {}; }
};

template <class T>
  requires(std::is_integral_v<T> && !std::is_same_v<T, bool>)
struct Codec<T> {
  static std::optional<T> from_text(std::string_view text, Issues& issues, const Loc& loc) {
    T v{};
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
    if (ec == std::errc{} && end == text.data() + text.size() && !text.empty()) return v;
    if (ec == std::errc::result_out_of_range)
      issues.add("int_parsing_size", loc, "Unable to parse input string as an integer, exceeded maximum size",
                 detail::describe_input(text));
    else
      issues.add("int_parsing", loc, "Input should be a valid integer, unable to parse string as an integer",
                 detail::describe_input(text));
    return std::nullopt;
  }
  static std::optional<T> read(const boost::json::value& v, Issues& issues, const Loc& loc) {
    if (v.is_string()) return from_text(v.get_string(), issues, loc);
    if (v.is_double()) {
      double d = v.get_double();
      if (d != std::trunc(d)) {
        issues.add("int_from_float", loc, "Input should be a valid integer, got a number with a fractional part", v);
        return std::nullopt;
      }
      if (d >= static_cast<double>(std::numeric_limits<T>::min()) &&
          d <= static_cast<double>(std::numeric_limits<T>::max()))
        return static_cast<T>(d);
    } else if (v.is_int64()) {
      auto n = v.get_int64();
      if (std::in_range<T>(n)) return static_cast<T>(n);
    } else if (v.is_uint64()) {
      auto n = v.get_uint64();
      if (std::in_range<T>(n)) return static_cast<T>(n);
    } else {
      issues.add("int_type", loc, "Input should be a valid integer", v);
      return std::nullopt;
    }
    issues.add("int_parsing_size", loc, "Unable to parse input string as an integer, exceeded maximum size", v);
    return std::nullopt;
  }
  static boost::json::value write(T v) { return v; }
  static boost::json::object schema(SchemaRegistry&) { return {{"type", "integer"}}; }
};

template <class T>
  requires std::is_floating_point_v<T>
struct Codec<T> {
  static std::optional<T> from_text(std::string_view text, Issues& issues, const Loc& loc) {
    if (auto d = detail::parse_double(text)) return static_cast<T>(*d);
    issues.add("float_parsing", loc, "Input should be a valid number, unable to parse string as a number",
               detail::describe_input(text));
    return std::nullopt;
  }
  static std::optional<T> read(const boost::json::value& v, Issues& issues, const Loc& loc) {
    if (v.is_number()) return static_cast<T>(v.to_number<double>());
    if (v.is_string()) return from_text(v.get_string(), issues, loc);
    issues.add("float_type", loc, "Input should be a valid number", v);
    return std::nullopt;
  }
  static boost::json::value write(T v) { return static_cast<double>(v); }
  static boost::json::object schema(SchemaRegistry&) { return {{"type", "number"}}; }
};

template <DescribedEnum E>
struct Codec<E> {
  static std::string expected() {
    std::string names;
    std::size_t count = boost::mp11::mp_size<boost::describe::describe_enumerators<E>>::value, i = 0;
    boost::mp11::mp_for_each<boost::describe::describe_enumerators<E>>([&](auto d) {
      if (i > 0) names += (++i == count) ? " or " : ", ";
      else ++i;
      names.append("'").append(d.name).append("'");
    });
    return names;
  }
  static std::optional<E> from_text(std::string_view text, Issues& issues, const Loc& loc) {
    std::optional<E> found;
    boost::mp11::mp_for_each<boost::describe::describe_enumerators<E>>([&](auto d) {
      if (!found && text == d.name) found = d.value;
    });
    if (!found)
      issues.add("enum", loc, "Input should be " + expected(), detail::describe_input(text), {{"expected", expected()}});
    return found;
  }
  static std::optional<E> read(const boost::json::value& v, Issues& issues, const Loc& loc) {
    if (v.is_string()) return from_text(v.get_string(), issues, loc);
    issues.add("enum", loc, "Input should be " + expected(), v, {{"expected", expected()}});
    return std::nullopt;
  }
  static boost::json::value write(E v) {
    boost::json::value out = nullptr;
    boost::mp11::mp_for_each<boost::describe::describe_enumerators<E>>([&](auto d) {
      if (v == d.value) out = boost::json::string(d.name);
    });
    return out;
  }
  static boost::json::object schema(SchemaRegistry& registry) {
    auto name = model_name(typeid(E));
    if (!registry.contains(name)) {
      boost::json::array names;
      boost::mp11::mp_for_each<boost::describe::describe_enumerators<E>>([&](auto d) { names.emplace_back(d.name); });
      registry.set(name, {{"type", "string"}, {"enum", std::move(names)}, {"title", name}});
    }
    return SchemaRegistry::ref(name);
  }
};

template <class U>
struct Codec<std::optional<U>> {
  static std::optional<std::optional<U>> from_text(std::string_view text, Issues& issues, const Loc& loc) {
    auto inner = Codec<U>::from_text(text, issues, loc);
    if (!inner) return std::nullopt;
    return std::optional<U>(std::move(*inner));
  }
  static std::optional<std::optional<U>> read(const boost::json::value& v, Issues& issues, const Loc& loc) {
    // Built in place: returning temporaries trips GCC 12's -Wmaybe-uninitialized for U = bool.
    std::optional<std::optional<U>> out;
    if (v.is_null()) out.emplace();
    else if (auto inner = Codec<U>::read(v, issues, loc)) out.emplace(std::move(inner));
    return out;
  }
  static boost::json::value write(const std::optional<U>& v) { return v ? Codec<U>::write(*v) : nullptr; }
  static boost::json::object schema(SchemaRegistry& registry) {
    return {{"anyOf", {Codec<U>::schema(registry), {{"type", "null"}}}}};
  }
};

template <class U>
struct Codec<std::vector<U>> {
  static std::optional<std::vector<U>> read(const boost::json::value& v, Issues& issues, const Loc& loc) {
    const auto* array = v.if_array();
    if (!array) {
      issues.add("list_type", loc, "Input should be a valid list", v);
      return std::nullopt;
    }
    std::vector<U> out;
    out.reserve(array->size());
    bool ok = true;
    for (std::size_t i = 0; i < array->size(); ++i) {
      auto item = Codec<U>::read((*array)[i], issues, loc / i);
      if (item) out.push_back(std::move(*item));
      else ok = false;
    }
    if (!ok) return std::nullopt;
    return out;
  }
  static boost::json::value write(const std::vector<U>& v) {
    boost::json::array out;
    out.reserve(v.size());
    for (const auto& item : v) out.push_back(Codec<U>::write(item));
    return out;
  }
  static boost::json::object schema(SchemaRegistry& registry) {
    return {{"type", "array"}, {"items", Codec<U>::schema(registry)}};
  }
};

template <class... U>
struct Codec<std::variant<U...>> {
  using V = std::variant<U...>;
  static std::optional<V> read(const boost::json::value& v, Issues& issues, const Loc& loc) {
    std::optional<V> out;
    std::vector<Issues> failures;
    auto attempt = [&]<std::size_t I>(std::integral_constant<std::size_t, I>) {
      if (out) return;
      Issues tried;
      if (auto value = Codec<std::variant_alternative_t<I, V>>::read(v, tried, loc))
        out.emplace(std::in_place_index<I>, std::move(*value));
      else
        failures.push_back(std::move(tried));
    };
    [&]<std::size_t... I>(std::index_sequence<I...>) {
      (attempt(std::integral_constant<std::size_t, I>{}), ...);
    }(std::index_sequence_for<U...>{});
    if (!out) detail::report_union(failures, issues, loc, v);
    return out;
  }
  static boost::json::value write(const V& v) {
    return std::visit([](const auto& x) { return Codec<std::remove_cvref_t<decltype(x)>>::write(x); }, v);
  }
  static boost::json::object schema(SchemaRegistry& registry) {
    return {{"anyOf", {Codec<U>::schema(registry)...}}};
  }
};

template <class U, class... C>
struct Codec<Field<U, C...>> {
  using F = Field<U, C...>;
  static std::optional<F> checked(std::optional<U> value, Issues& issues, const Loc& loc,
                                  const boost::json::value& input) {
    if (!value || !F::check(*value, issues, loc, input)) return std::nullopt;
    return F(std::move(*value));
  }
  static std::optional<F> from_text(std::string_view text, Issues& issues, const Loc& loc) {
    return checked(Codec<U>::from_text(text, issues, loc), issues, loc, detail::describe_input(text));
  }
  static std::optional<F> read(const boost::json::value& v, Issues& issues, const Loc& loc) {
    return checked(Codec<U>::read(v, issues, loc), issues, loc, v);
  }
  static boost::json::value write(const F& v) { return Codec<U>::write(v.value); }
  static boost::json::object schema(SchemaRegistry& registry) {
    auto schema = Codec<U>::schema(registry);
    if (auto* any_of = schema.if_contains("anyOf"))  // optional: constrain the non-null branch
      F::describe(any_of->as_array()[0].as_object());
    else
      F::describe(schema);
    return schema;
  }
};

template <Model T>
struct Codec<T> {
  using Members =
      boost::describe::describe_members<T, boost::describe::mod_public | boost::describe::mod_inherited>;

  static std::optional<T> read(const boost::json::value& v, Issues& issues, const Loc& loc) {
    const auto* object = v.if_object();
    if (!object) {
      issues.add("model_attributes_type", loc, "Input should be a valid dictionary or object to extract fields from",
                 v);
      return std::nullopt;
    }
    T out{};
    bool ok = true;
    boost::mp11::mp_for_each<Members>([&](auto d) {
      using M = std::remove_cvref_t<decltype(out.*d.pointer)>;
      const auto* field = object->if_contains(d.name);
      if (!field) {
        if constexpr (!detail::is_omittable<M>()) {
          issues.add("missing", loc / d.name, "Field required", *object);
          ok = false;
        }
        return;
      }
      if (auto value = Codec<M>::read(*field, issues, loc / d.name)) out.*d.pointer = std::move(*value);
      else ok = false;
    });
    if constexpr (detail::forbids_extra_fields<T>()) {
      for (const auto& entry : *object) {
        bool known = false;
        boost::mp11::mp_for_each<Members>([&](auto d) { known = known || entry.key() == d.name; });
        if (!known) {
          issues.add("extra_forbidden", loc / entry.key(), "Extra inputs are not permitted", entry.value());
          ok = false;
        }
      }
    }
    if (!ok) return std::nullopt;
    return out;
  }

  static boost::json::value write(const T& value) {
    boost::json::object out;
    boost::mp11::mp_for_each<Members>([&](auto d) {
      using M = std::remove_cvref_t<decltype(value.*d.pointer)>;
      auto written = Codec<M>::write(value.*d.pointer);
      if constexpr (detail::omits_null_fields<T>())
        if (written.is_null()) return;
      out[d.name] = std::move(written);
    });
    return out;
  }

  static boost::json::object schema(SchemaRegistry& registry) {
    auto name = model_name(typeid(T));
    if (registry.contains(name)) return SchemaRegistry::ref(name);
    registry.reserve(name);
    boost::json::object properties;
    boost::json::array required;
    const T defaults{};
    boost::mp11::mp_for_each<Members>([&](auto d) {
      using M = std::remove_cvref_t<decltype(defaults.*d.pointer)>;
      auto property = Codec<M>::schema(registry);
      if constexpr (detail::is_omittable<M>()) {
        property["default"] = Codec<M>::write(defaults.*d.pointer);
      } else {
        required.emplace_back(d.name);
      }
      properties[d.name] = std::move(property);
    });
    boost::json::object schema{{"type", "object"}, {"title", name}, {"properties", std::move(properties)}};
    if (!required.empty()) schema["required"] = std::move(required);
    if (detail::forbids_extra_fields<T>()) schema["additionalProperties"] = false;
    registry.set(name, schema);
    return SchemaRegistry::ref(name);
  }
};

}  // namespace sluice::api
