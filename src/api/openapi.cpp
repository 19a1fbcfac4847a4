#include "sluice/api/operation.hpp"
#include "sluice/api/schema_registry.hpp"

#include <algorithm>
#include <cctype>

namespace sluice::api {

namespace {

namespace json = boost::json;

std::string lower(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return std::tolower(c); });
  return out;
}

/// FastAPI-style operationId: "generate_generate_get" → here "<path words>_<method>".
std::string operation_id(const Operation& op) {
  std::string id;
  for (char c : op.path) id += std::isalnum(static_cast<unsigned char>(c)) ? c : '_';
  while (!id.empty() && id.front() == '_') id.erase(0, 1);
  if (id.empty()) id = "root";
  return id + "_" + lower(std::string_view(http::beast_http::to_string(op.method)));
}

/// "/datasets/{dataset_id}/process" → "Datasets Dataset Id Process" (FastAPI titles its summaries).
std::string default_summary(const Operation& op) {
  std::string summary;
  bool start = true;
  for (char c : op.path) {
    if (!std::isalnum(static_cast<unsigned char>(c))) {
      if (!summary.empty() && summary.back() != ' ') summary += ' ';
      start = true;
      continue;
    }
    summary += start ? static_cast<char>(std::toupper(static_cast<unsigned char>(c))) : c;
    start = false;
  }
  while (!summary.empty() && summary.back() == ' ') summary.pop_back();
  return summary.empty() ? "Root" : summary;
}

/// Path parameters the handler did not declare (raw handlers) are documented as strings.
void add_undeclared_path_parameters(const Operation& op, json::array& parameters) {
  std::size_t open = 0;
  while ((open = op.path.find('{', open)) != std::string::npos) {
    auto close = op.path.find('}', open);
    std::string name = op.path.substr(open + 1, close - open - 1);
    bool declared = std::any_of(parameters.begin(), parameters.end(), [&](const json::value& p) {
      return p.at("in") == "path" && p.at("name") == boost::json::value(name);
    });
    if (!declared)
      parameters.push_back({{"name", name}, {"in", "path"}, {"required", true}, {"schema", {{"type", "string"}}}});
    open = close;
  }
}

json::object error_schemas() {
  json::object schemas;
  schemas["ValidationError"] = {
      {"type", "object"},
      {"title", "ValidationError"},
      {"required", {"loc", "msg", "type"}},
      {"properties",
       {{"loc", {{"type", "array"}, {"items", {{"anyOf", {{{"type", "string"}}, {{"type", "integer"}}}}}}}},
        {"msg", {{"type", "string"}}},
        {"type", {{"type", "string"}}},
        {"input", json::object{}},
        {"ctx", {{"type", "object"}}}}}};
  schemas["HTTPValidationError"] = {
      {"type", "object"},
      {"title", "HTTPValidationError"},
      {"properties",
       {{"code", {{"type", "string"}}},
        {"message", {{"type", "string"}}},
        {"detail", {{"type", "array"}, {"items", {{"$ref", "#/components/schemas/ValidationError"}}}}}}}};
  schemas["Error"] = {{"type", "object"},
                      {"title", "Error"},
                      {"required", {"code", "message", "detail"}},
                      {"properties",
                       {{"code", {{"type", "string"}}}, {"message", {{"type", "string"}}}, {"detail", json::object{}}}}};
  return schemas;
}

json::object json_content(const json::value& schema) {
  json::object media;
  if (!schema.is_null()) media["schema"] = schema;
  return {{"application/json", std::move(media)}};
}

}  // namespace

json::object openapi_document(const ApiInfo& info, const std::vector<Operation>& operations,
                              const SchemaRegistry& schemas, const http::Guards& app_guards) {
  json::object paths;
  bool uses_bearer = false;
  for (const auto& op : operations) {
    if (!op.doc.include_in_schema) continue;
    json::object entry;
    entry["summary"] = op.doc.summary.empty() ? default_summary(op) : op.doc.summary;
    if (!op.doc.description.empty()) entry["description"] = op.doc.description;
    if (!op.doc.tags.empty()) {
      json::array tags;
      for (const auto& tag : op.doc.tags) tags.emplace_back(tag);
      entry["tags"] = std::move(tags);
    }
    entry["operationId"] = operation_id(op);
    json::array parameters = op.parameters;
    add_undeclared_path_parameters(op, parameters);
    if (!parameters.empty()) entry["parameters"] = std::move(parameters);
    if (!op.request_body.is_null() || !op.doc.request_content.empty()) {
      json::object content;
      if (!op.request_body.is_null()) content = json_content(op.request_body);
      for (const auto& [type, schema] : op.doc.request_content) {
        json::object media;
        if (!schema.is_null()) media["schema"] = schema;
        content[type] = std::move(media);
      }
      const bool is_required = op.is_body_required || op.request_body.is_null();  // a raw body is the input
      entry["requestBody"] = {{"required", is_required}, {"content", std::move(content)}};
    }
    json::object responses;
    responses[std::to_string(op.doc.status_code)] = {{"description", op.doc.response_description},
                                                     {"content", json_content(op.response)}};
    const bool has_own_errors = !op.error_schema.is_null();
    const json::value own_error = has_own_errors ? op.error_schema : json::value(SchemaRegistry::ref("Error"));
    if (op.validates_input)
      responses[std::to_string(op.doc.errors.validation_status)] = {
          {"description", "Validation Error"},
          {"content", json_content(has_own_errors ? op.error_schema
                                                  : json::value(SchemaRegistry::ref("HTTPValidationError")))}};
    for (const auto& [status, description] : op.doc.responses)
      responses[std::to_string(status)] = {{"description", description}, {"content", json_content(own_error)}};
    bool needs_bearer = false;
    for (const auto* guards : {&app_guards, &op.guards}) {
      for (const auto& guard : *guards) {
        auto doc = guard->describe(op.path);
        needs_bearer |= doc.needs_bearer_token;
        for (const auto& [status, description] : doc.responses)
          responses[std::to_string(status)] = {{"description", description},
                                               {"content", json_content(SchemaRegistry::ref("Error"))}};
      }
    }
    if (needs_bearer) {
      entry["security"] = json::array{json::object{{"bearerAuth", json::array{}}}};
      uses_bearer = true;
    }
    entry["responses"] = std::move(responses);
    if (op.doc.deprecated) entry["deprecated"] = true;
    auto& path_item = paths[op.path];
    if (!path_item.is_object()) path_item.emplace_object();
    path_item.as_object()[lower(std::string_view(http::beast_http::to_string(op.method)))] = std::move(entry);
  }

  json::object components = error_schemas();
  for (const auto& [name, schema] : schemas.schemas()) components[name] = schema;
  json::object info_object{{"title", info.title}, {"version", info.version}};
  if (!info.description.empty()) info_object["description"] = info.description;
  json::object components_object{{"schemas", std::move(components)}};
  if (uses_bearer)  // Swagger UI then offers "Authorize" for the key
    components_object["securitySchemes"] = {{"bearerAuth", {{"type", "http"}, {"scheme", "bearer"}}}};
  return {{"openapi", "3.1.0"},
          {"info", std::move(info_object)},
          {"paths", std::move(paths)},
          {"components", std::move(components_object)}};
}

}  // namespace sluice::api
