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

namespace {
/// Failed on the value's kind itself ("Input should be a valid string"), not inside it.
bool is_kind_mismatch(const core::FieldIssue& issue, const Loc& loc) {
  auto ends_with = [&](std::string_view suffix) { return std::string_view(issue.type).ends_with(suffix); };
  return issue.loc == loc && (ends_with("_type") || ends_with("_parsing"));
}
}  // namespace

void report_union(const std::vector<Issues>& failures, Issues& issues, const Loc& loc,
                  const boost::json::value& input) {
  bool reported = false;
  for (const auto& failure : failures) {
    const auto& list = failure.list();
    if (std::all_of(list.begin(), list.end(), [&](const auto& issue) { return is_kind_mismatch(issue, loc); }))
      continue;
    for (const auto& issue : list) issues.add(issue.type, issue.loc, issue.msg, issue.input, issue.ctx);
    reported = true;
  }
  if (reported) return;
  // "Input should be a valid string" + "Input should be a valid list" → "... a valid string or a valid list".
  constexpr std::string_view prefix = "Input should be ";
  std::string expected;
  for (const auto& failure : failures)
    for (const auto& issue : failure.list()) {
      std::string_view msg = issue.msg;
      if (msg.starts_with(prefix)) msg.remove_prefix(prefix.size());
      expected.append(expected.empty() ? "" : " or ").append(msg);
    }
  issues.add("union_type", loc, std::string(prefix) + expected, input);
}

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
