#include "sluice/api/schema_registry.hpp"

#include <boost/core/demangle.hpp>

namespace sluice::api {

boost::json::object SchemaRegistry::ref(std::string_view name) {
  return {{"$ref", "#/components/schemas/" + std::string(name)}};
}

std::string model_name(const std::type_info& type) {
  std::string full = boost::core::demangle(type.name());
  // Strip namespaces, but not inside template arguments: "ns::Page<ns::Item>" → "Page<ns::Item>".
  auto cut = full.find('<');
  auto prefix_end = full.rfind("::", cut);
  std::string name = prefix_end == std::string::npos ? full : full.substr(prefix_end + 2);
  for (char& c : name)  // component names allow only [A-Za-z0-9._-]
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '.' && c != '_' && c != '-') c = '_';
  return name;
}

}  // namespace sluice::api
