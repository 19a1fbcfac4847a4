#pragma once
// JSON text as clients expect it: Boost.JSON 1.81's serialize writes 1.2 as `1.2E0`; this
// writer gives doubles in their shortest round-trip form (std::to_chars), like Python and JS.

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include <string>

namespace sluice::core {

/// Compact JSON text for a value: doubles in shortest round-trip form (`1.2`, `1e+300`; an
/// integral one as `2.0`, so that it reads back as a double),
/// non-finite doubles as `null` (as JSON.stringify does); strings escaped as Boost.JSON does.
std::string json_text(const boost::json::value& value);
std::string json_text(const boost::json::object& object);
std::string json_text(const boost::json::array& array);

/// Appends the same text to `out`, for callers that build a larger buffer.
void append_json_text(std::string& out, const boost::json::value& value);
void append_json_text(std::string& out, const boost::json::object& object);
void append_json_text(std::string& out, const boost::json::array& array);

}  // namespace sluice::core
