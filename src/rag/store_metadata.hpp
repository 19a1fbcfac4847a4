#pragma once
// What both dataset stores read the same way: stored metadata text, and a metadata filter's
// conditions (the routes check their shape, search_routes.cpp).

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include <string_view>
#include <utility>
#include <vector>

namespace sluice::rag {

/// Stored metadata JSON as an object (empty when absent or not an object).
boost::json::object parse_metadata(std::string_view text);

/// A filter value as (operator, operand) pairs: a scalar is {"$eq": scalar}; an object holds
/// operators ($eq, $ne, $gt, $gte, $lt, $lte, $in).
std::vector<std::pair<std::string_view, const boost::json::value*>> conditions_of(const boost::json::value& condition);

}  // namespace sluice::rag
