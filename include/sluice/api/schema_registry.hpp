#pragma once
// The named JSON Schemas (`components/schemas`) an OpenAPI document refers to.

#include <boost/json/object.hpp>

#include <string>
#include <string_view>
#include <typeinfo>

namespace sluice::api {

class SchemaRegistry {
 public:
  bool contains(std::string_view name) const { return schemas_.contains(name); }
  /// Reserves `name` before its schema is built, so that recursive models terminate.
  void reserve(std::string_view name) { schemas_[name] = boost::json::object{}; }
  void set(std::string_view name, boost::json::object schema) { schemas_[name] = std::move(schema); }
  const boost::json::object& schemas() const { return schemas_; }
  /// {"$ref": "#/components/schemas/<name>"}
  static boost::json::object ref(std::string_view name);

 private:
  boost::json::object schemas_;
};

/// The schema name of a model type: its unqualified C++ name ("GenerateRequest").
std::string model_name(const std::type_info& type);

}  // namespace sluice::api
