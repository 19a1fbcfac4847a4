#include "store_metadata.hpp"

#include <boost/json/parse.hpp>

namespace sluice::rag {

namespace json = boost::json;

json::object parse_metadata(std::string_view text) {
  if (text.empty()) return {};
  auto value = json::parse(text);
  return value.is_object() ? std::move(value.as_object()) : json::object{};
}

std::vector<std::pair<std::string_view, const json::value*>> conditions_of(const json::value& condition) {
  if (!condition.is_object()) return {{"$eq", &condition}};
  std::vector<std::pair<std::string_view, const json::value*>> out;
  for (const auto& [op, operand] : condition.as_object()) out.push_back({op, &operand});
  return out;
}

}  // namespace sluice::rag
