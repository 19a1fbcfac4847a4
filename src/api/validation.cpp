#include "sluice/api/validation.hpp"

namespace sluice::api {

Loc operator/(Loc loc, std::string_view key) {
  loc.emplace_back(key);
  return loc;
}

Loc operator/(Loc loc, std::size_t index) {
  loc.emplace_back(static_cast<std::uint64_t>(index));
  return loc;
}

void Issues::add(std::string type, Loc loc, std::string msg, boost::json::value input, boost::json::object ctx) {
  list_.push_back({std::move(type), std::move(loc), std::move(msg), std::move(input), std::move(ctx)});
}

}  // namespace sluice::api
