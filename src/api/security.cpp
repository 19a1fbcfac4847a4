#include "sluice/api/security.hpp"

#include "sluice/http/request.hpp"

#include <boost/beast/core/string.hpp>

#include <cstdlib>
#include <fstream>
#include <stdexcept>

namespace sluice::api {

namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
  return s;
}

/// Equality whose running time depends only on `secret`'s length, never on where the
/// presented value first differs: no early exit, every byte of `secret` is visited.
bool equals_in_constant_time(std::string_view secret, std::string_view presented) {
  unsigned char difference = secret.size() == presented.size() ? 0 : 1;
  for (std::size_t i = 0; i < secret.size(); ++i) {
    const unsigned char other = presented.empty() ? 0 : static_cast<unsigned char>(presented[i % presented.size()]);
    difference |= static_cast<unsigned char>(secret[i]) ^ other;
  }
  return difference == 0;
}

bool is_exempt(std::string_view route, const std::vector<std::string>& exempt) {
  for (const auto& pattern : exempt) {
    if (!pattern.empty() && pattern.back() == '*') {
      if (route.starts_with(std::string_view(pattern).substr(0, pattern.size() - 1))) return true;
    } else if (route == pattern) {
      return true;
    }
  }
  return false;
}

}  // namespace

ApiKeys::ApiKeys(std::vector<std::string> keys) : keys_(std::move(keys)) {
  std::erase_if(keys_, [](const std::string& key) { return key.empty(); });
}

ApiKeys ApiKeys::from_file(const std::filesystem::path& path) {
  std::ifstream in(path);
  if (!in) throw std::runtime_error("cannot read API keys from " + path.string());
  std::vector<std::string> keys;
  for (std::string line; std::getline(in, line);) {
    auto key = trim(line);
    if (!key.empty() && key.front() != '#') keys.emplace_back(key);
  }
  return ApiKeys(std::move(keys));
}

ApiKeys ApiKeys::from_env(const char* name) {
  std::vector<std::string> keys;
  if (const char* value = std::getenv(name)) {
    std::string_view list = value;
    while (!list.empty()) {
      auto comma = list.find(',');
      keys.emplace_back(trim(list.substr(0, comma)));
      list = comma == std::string_view::npos ? std::string_view{} : list.substr(comma + 1);
    }
  }
  return ApiKeys(std::move(keys));
}

bool ApiKeys::contains(std::string_view key) const {
  bool found = false;
  for (const auto& candidate : keys_) found |= equals_in_constant_time(candidate, key);  // no early exit
  return found;
}

namespace {

class ApiKeyGuard final : public http::Guard {
 public:
  ApiKeyGuard(std::shared_ptr<const ApiKeys> keys, AuthOptions options)
      : keys_(std::move(keys)), options_(std::move(options)) {}

  Verdict enter(http::Request& request, http::GuardState&, std::optional<http::Response>& answer) override {
    if (is_exempt(request.route(), options_.exempt)) return Verdict::pass;
    auto authorization = request.header("Authorization");
    std::string_view presented;
    if (authorization && authorization->size() > 7 && boost::beast::iequals(authorization->substr(0, 7), "Bearer "))
      presented = trim(authorization->substr(7));
    if (!presented.empty() && keys_->contains(presented)) return Verdict::pass;
    answer = http::Response::error(
        {401, "not_authenticated",
         presented.empty() ? "Missing API key: send Authorization: Bearer <key>" : "Invalid API key", nullptr});
    answer->set_header(http::Field::www_authenticate, "Bearer");
    return Verdict::answer;
  }

  http::GuardDoc describe(std::string_view route) const override {
    if (is_exempt(route, options_.exempt)) return {};
    return {{{401, "Missing or invalid API key"}}, true};
  }

 private:
  std::shared_ptr<const ApiKeys> keys_;
  AuthOptions options_;
};

}  // namespace

std::shared_ptr<http::Guard> require_api_key(std::shared_ptr<const ApiKeys> keys, AuthOptions options) {
  return std::make_shared<ApiKeyGuard>(std::move(keys), std::move(options));
}

}  // namespace sluice::api
