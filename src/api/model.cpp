#include "sluice/api/model.hpp"

#include <algorithm>
#include <cctype>

namespace sluice::api {

namespace detail {

std::optional<bool> parse_bool(std::string_view text) {
  std::string lower(text);
  std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char c) { return std::tolower(c); });
  // pydantic's accepted spellings
  for (auto yes : {"true", "1", "yes", "on", "t", "y"})
    if (lower == yes) return true;
  for (auto no : {"false", "0", "no", "off", "f", "n"})
    if (lower == no) return false;
  return std::nullopt;
}

std::optional<double> parse_double(std::string_view text) {
  double value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc{} || end != text.data() + text.size() || text.empty()) return std::nullopt;
  return value;
}

boost::json::value describe_input(std::string_view text) { return boost::json::string(text); }

}  // namespace detail

std::optional<bool> Codec<bool>::from_text(std::string_view text, Issues& issues, const Loc& loc) {
  if (auto b = detail::parse_bool(text)) return b;
  issues.add("bool_parsing", loc, "Input should be a valid boolean, unable to interpret input",
             detail::describe_input(text));
  return std::nullopt;
}

std::optional<bool> Codec<bool>::read(const boost::json::value& v, Issues& issues, const Loc& loc) {
  if (v.is_bool()) return v.get_bool();
  if (v.is_string()) return from_text(v.get_string(), issues, loc);
  if (v.is_int64() && (v.get_int64() == 0 || v.get_int64() == 1)) return v.get_int64() == 1;
  issues.add("bool_type", loc, "Input should be a valid boolean", v);
  return std::nullopt;
}

std::optional<std::string> Codec<std::string>::read(const boost::json::value& v, Issues& issues, const Loc& loc) {
  if (v.is_string()) return std::string(v.get_string());
  issues.add("string_type", loc, "Input should be a valid string", v);
  return std::nullopt;
}

}  // namespace sluice::api
