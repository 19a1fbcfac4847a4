#pragma once
// Field constraints, declared next to the field:
//   Field<std::string, MinLength<1>, MaxLength<200>> prompt;
//   Field<double, Ge<0.0>, Le<2.0>, WithDefault> temperature = 0.7;
// Each checks a value (adding FastAPI/pydantic-style issues) and describes itself in JSON Schema.

#include "sluice/api/name.hpp"
#include "sluice/api/validation.hpp"

#include <boost/regex.hpp>
#include <boost/json/value.hpp>

#include <charconv>
#include <optional>
#include <string>
#include <type_traits>

namespace sluice::api {

namespace detail {
/// A bound as people write it: "2", "0.5", "-2" (JSON's serialiser would say "2E0").
template <class T>
std::string number_text(T n) {
  char text[32];
  auto end = std::to_chars(text, text + sizeof text, n).ptr;
  return std::string(text, end);
}
inline std::string plural(std::size_t n, std::string_view word) {
  return std::to_string(n) + " " + std::string(word) + (n == 1 ? "" : "s");
}
template <class T>
struct is_string : std::is_same<T, std::string> {};
}  // namespace detail

/// value >= N ("greater_than_equal"; schema `minimum`).
template <auto N>
struct Ge {
  template <class T>
  static bool check(const T& v, Issues& issues, const Loc& loc, const boost::json::value& input) {
    if (v >= N) return true;
    issues.add("greater_than_equal", loc, "Input should be greater than or equal to " + detail::number_text(N), input,
               {{"ge", N}});
    return false;
  }
  static void describe(boost::json::object& schema) { schema["minimum"] = N; }
};

/// value <= N ("less_than_equal"; schema `maximum`).
template <auto N>
struct Le {
  template <class T>
  static bool check(const T& v, Issues& issues, const Loc& loc, const boost::json::value& input) {
    if (v <= N) return true;
    issues.add("less_than_equal", loc, "Input should be less than or equal to " + detail::number_text(N), input,
               {{"le", N}});
    return false;
  }
  static void describe(boost::json::object& schema) { schema["maximum"] = N; }
};

/// value > N ("greater_than"; schema `exclusiveMinimum`).
template <auto N>
struct Gt {
  template <class T>
  static bool check(const T& v, Issues& issues, const Loc& loc, const boost::json::value& input) {
    if (v > N) return true;
    issues.add("greater_than", loc, "Input should be greater than " + detail::number_text(N), input, {{"gt", N}});
    return false;
  }
  static void describe(boost::json::object& schema) { schema["exclusiveMinimum"] = N; }
};

/// value < N ("less_than"; schema `exclusiveMaximum`).
template <auto N>
struct Lt {
  template <class T>
  static bool check(const T& v, Issues& issues, const Loc& loc, const boost::json::value& input) {
    if (v < N) return true;
    issues.add("less_than", loc, "Input should be less than " + detail::number_text(N), input, {{"lt", N}});
    return false;
  }
  static void describe(boost::json::object& schema) { schema["exclusiveMaximum"] = N; }
};

/// At least N characters (strings) or items (lists).
template <std::size_t N>
struct MinLength {
  template <class T>
  static bool check(const T& v, Issues& issues, const Loc& loc, const boost::json::value& input) {
    if (v.size() >= N) return true;
    if constexpr (detail::is_string<T>::value)
      issues.add("string_too_short", loc, "String should have at least " + detail::plural(N, "character"), input,
                 {{"min_length", N}});
    else
      issues.add("too_short", loc,
                 "List should have at least " + detail::plural(N, "item") + " after validation, not " +
                     std::to_string(v.size()),
                 input, {{"field_type", "List"}, {"min_length", N}, {"actual_length", v.size()}});
    return false;
  }
  static void describe(boost::json::object& schema) {
    schema[schema.contains("items") ? "minItems" : "minLength"] = N;
  }
};

/// At most N characters (strings) or items (lists).
template <std::size_t N>
struct MaxLength {
  template <class T>
  static bool check(const T& v, Issues& issues, const Loc& loc, const boost::json::value& input) {
    if (v.size() <= N) return true;
    if constexpr (detail::is_string<T>::value)
      issues.add("string_too_long", loc, "String should have at most " + detail::plural(N, "character"), input,
                 {{"max_length", N}});
    else
      issues.add("too_long", loc,
                 "List should have at most " + detail::plural(N, "item") + " after validation, not " +
                     std::to_string(v.size()),
                 input, {{"field_type", "List"}, {"max_length", N}, {"actual_length", v.size()}});
    return false;
  }
  static void describe(boost::json::object& schema) {
    schema[schema.contains("items") ? "maxItems" : "maxLength"] = N;
  }
};

/// Matches the ECMAScript regular expression P somewhere in the string ("string_pattern_mismatch").
/// Boost.Regex, not std::regex: libstdc++'s matcher recurses once per character, so a long
/// input (12 KB against `^[a-z0-9-]+$`, found by fuzz_json_binding) overflowed the IO thread's
/// stack; Boost's is iterative, and an input too complex to match throws, answered as a mismatch.
template <Name P>
struct Pattern {
  static bool check(const std::string& v, Issues& issues, const Loc& loc, const boost::json::value& input) {
    static const boost::regex expression(std::string(P.view()), boost::regex::ECMAScript | boost::regex::optimize);
    bool matches = false;
    try {
      matches = boost::regex_search(v, expression);
    } catch (const std::runtime_error&) {  // boost::regex_error: too complex to match
    }
    if (matches) return true;
    issues.add("string_pattern_mismatch", loc, "String should match pattern '" + std::string(P.view()) + "'", input,
               {{"pattern", P.view()}});
    return false;
  }
  static void describe(boost::json::object& schema) { schema["pattern"] = P.view(); }
};

/// Marks a model field as optional in requests: when absent, it keeps the value the struct's
/// default member initializer gives it (and the schema shows that default).
struct WithDefault {
  template <class T>
  static bool check(const T&, Issues&, const Loc&, const boost::json::value&) {
    return true;
  }
  static void describe(boost::json::object&) {}
};

/// A value with constraints. Reads like the value itself: `item.name->size()`, `*item.price`,
/// or implicit conversion to `const T&`.
template <class T, class... Constraints>
struct Field {
  using value_type = T;
  T value{};

  Field() = default;
  Field(T v) : value(std::move(v)) {}  // NOLINT(google-explicit-constructor)
  operator const T&() const { return value; }  // NOLINT(google-explicit-constructor)
  const T& operator*() const { return value; }
  T& operator*() { return value; }
  const T* operator->() const { return &value; }
  bool operator==(const Field& other) const = default;

  static constexpr bool has_default = (std::is_same_v<Constraints, WithDefault> || ...);

  /// Runs every constraint (all of them, so that every failure is reported).
  static bool check(const T& v, Issues& issues, const Loc& loc, const boost::json::value& input) {
    if constexpr (requires { v.has_value(); }) {
      if (!v.has_value()) return true;  // an absent optional has nothing to check
      return (Constraints::check(*v, issues, loc, input) & ... & true);
    } else {
      return (Constraints::check(v, issues, loc, input) & ... & true);
    }
  }
  static void describe(boost::json::object& schema) { (Constraints::describe(schema), ...); }
};

}  // namespace sluice::api
