#include "sluice/http/request.hpp"

#include "percent_decode.hpp"

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
  std::string_view rest = query_;
  while (!rest.empty()) {
    auto amp = rest.find('&');
    std::string_view pair = rest.substr(0, amp);
    rest = amp == std::string_view::npos ? std::string_view{} : rest.substr(amp + 1);
    auto eq = pair.find('=');
    auto key = detail::percent_decode(pair.substr(0, eq), true);
    if (!key || *key != name) continue;
    // A malformed escape reads as absent, so handlers report the parameter as missing.
    return detail::percent_decode(eq == std::string_view::npos ? std::string_view{} : pair.substr(eq + 1), true);
  }
  return std::nullopt;
}

}  // namespace sluice::http
