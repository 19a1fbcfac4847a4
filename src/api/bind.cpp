#include "sluice/api/bind.hpp"

#include <boost/json/stream_parser.hpp>

namespace sluice::api::detail {

boost::json::object parameter_doc(std::string_view name, std::string_view in, bool required,
                                  boost::json::object schema) {
  return {{"name", name}, {"in", in}, {"required", required}, {"schema", std::move(schema)}};
}

std::optional<boost::json::value> parse_body(std::string_view body, Issues& issues) {
  boost::json::stream_parser parser;
  boost::system::error_code ec;
  std::size_t consumed = parser.write(body.data(), body.size(), ec);  // consumed: the error's position
  if (!ec) {
    parser.finish(ec);
    consumed = body.size();
  }
  if (ec) {
    // FastAPI: {"type":"json_invalid","loc":["body",<position>],"msg":"JSON decode error",...}
    issues.add("json_invalid", Loc{"body", consumed}, "JSON decode error", boost::json::object{},
               {{"error", ec.message()}});
    return std::nullopt;
  }
  return parser.release();
}

}  // namespace sluice::api::detail
