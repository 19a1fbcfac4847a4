#pragma once
// Collects every validation failure of a request, in FastAPI's 422 shape.

#include "sluice/core/error.hpp"

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include <string>
#include <string_view>
#include <vector>

namespace sluice::api {

/// Where a value came from: ["query","prompt"], ["body","items",0,"name"].
using Loc = boost::json::array;

Loc operator/(Loc loc, std::string_view key);
Loc operator/(Loc loc, std::size_t index);

/// Every failure found while binding one request; all of them are reported, not the first.
class Issues {
 public:
  void add(std::string type, Loc loc, std::string msg, boost::json::value input = nullptr,
           boost::json::object ctx = {});
  bool empty() const { return list_.empty(); }
  std::size_t size() const { return list_.size(); }
  const std::vector<core::FieldIssue>& list() const { return list_; }
  /// 422 `validation_error` with every issue in `detail`.
  core::Error to_error() const { return core::validation_error(list_); }

 private:
  std::vector<core::FieldIssue> list_;
};

}  // namespace sluice::api
