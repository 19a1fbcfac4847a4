#include "sluice/http/request.hpp"

#include <boost/url/params_view.hpp>

namespace sluice::http {

std::pair<std::string_view, std::string_view> split_target(std::string_view target) {
  auto mark = target.find('?');
  if (mark == std::string_view::npos) return {target, {}};
  return {target.substr(0, mark), target.substr(mark + 1)};
}

Request::Request(RawRequest message, std::vector<PathParam> params, boost::asio::ip::address client,
                 di::Scope& scope, core::ComputePool& compute)
    : message_(std::move(message)),
      params_(std::move(params)),
      client_(std::move(client)),
      scope_(scope),
      compute_(compute) {
  // Views into message_'s target: valid because message_ is never moved after this point.
  std::tie(path_, query_) = split_target(message_.target());
}

std::optional<std::string_view> Request::header(std::string_view name) const {
  auto it = message_.find(name);
  if (it == message_.end()) return std::nullopt;
  return it->value();
}

std::optional<std::string_view> Request::path_param(std::string_view name) const {
  for (const auto& p : params_)
    if (p.name == name) return std::string_view(p.value);
  return std::nullopt;
}

std::optional<std::string> Request::query(std::string_view name) const {
  if (query_.empty()) return std::nullopt;
  if (!boost::urls::parse_query(query_)) return std::nullopt;  // malformed percent-escapes: absent
  boost::urls::encoding_opts opts;
  opts.space_as_plus = true;
  for (auto param : boost::urls::params_view(query_, opts))
    if (param.key == name) return std::string(param.value);
  return std::nullopt;
}

}  // namespace sluice::http
