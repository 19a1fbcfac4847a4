#include "sluice/http/request.hpp"

#include "percent_decode.hpp"

namespace sluice::http {

std::pair<std::string_view, std::string_view> split_target(std::string_view target) {
  auto mark = target.find('?');
  if (mark == std::string_view::npos) return {target, {}};
  return {target.substr(0, mark), target.substr(mark + 1)};
}

std::string address_text(const boost::asio::ip::address& address) {
  if (!address.is_v4()) return address.to_string();
  char text[16];
  std::size_t size = 0;
  for (unsigned byte : address.to_v4().to_bytes()) {
    if (size != 0) text[size++] = '.';
    if (byte >= 100) text[size++] = static_cast<char>('0' + byte / 100);
    if (byte >= 10) text[size++] = static_cast<char>('0' + byte / 10 % 10);
    text[size++] = static_cast<char>('0' + byte % 10);
  }
  return std::string(text, size);
}

Request::Request(RawRequest message, std::vector<PathParam> params, boost::asio::ip::address client,
                 di::Scope& scope, core::ComputePool& compute, std::string_view client_text)
    : message_(std::move(message)),
      params_(std::move(params)),
      client_(std::move(client)),
      client_text_(client_text),
      scope_(scope),
      compute_(compute) {
  // Views into message_'s target: valid because message_ is never moved after this point.
  std::tie(path_, query_) = split_target(message_.target());
}

std::string_view Request::client_host() const {
  if (client_text_.empty()) client_text_ = client_text_storage_ = address_text(client_);
  return client_text_;
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

namespace {

/// Calls visit(value) for each `name=value` pair whose decoded name is `name`; a malformed escape
/// in the value reads as absent, so handlers report the parameter as missing.
template <class Visit>
void each_query_value(std::string_view query, std::string_view name, Visit visit) {
  while (!query.empty()) {
    auto amp = query.find('&');
    std::string_view pair = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view{} : query.substr(amp + 1);
    auto eq = pair.find('=');
    auto key = detail::percent_decode(pair.substr(0, eq), true);
    if (!key || *key != name) continue;
    auto value = detail::percent_decode(eq == std::string_view::npos ? std::string_view{} : pair.substr(eq + 1), true);
    if (value && !visit(std::move(*value))) return;
  }
}

}  // namespace

std::optional<std::string> Request::query(std::string_view name) const {
  std::optional<std::string> found;
  each_query_value(query_, name, [&](std::string value) {
    found = std::move(value);
    return false;  // the first one
  });
  return found;
}

std::vector<std::string> Request::query_all(std::string_view name) const {
  std::vector<std::string> values;
  each_query_value(query_, name, [&](std::string value) {
    values.push_back(std::move(value));
    return true;
  });
  return values;
}

std::optional<std::string> Request::cookie(std::string_view name) const {
  auto header = this->header("Cookie");
  if (!header) return std::nullopt;
  std::string_view rest = *header;
  while (!rest.empty()) {
    auto semi = rest.find(';');
    std::string_view pair = rest.substr(0, semi);
    rest = semi == std::string_view::npos ? std::string_view{} : rest.substr(semi + 1);
    while (!pair.empty() && pair.front() == ' ') pair.remove_prefix(1);
    auto eq = pair.find('=');
    if (eq != std::string_view::npos && pair.substr(0, eq) == name) return std::string(pair.substr(eq + 1));
  }
  return std::nullopt;
}

}  // namespace sluice::http
