#pragma once
// A string usable as a template argument: Query<"prompt", std::string>.

#include <algorithm>
#include <cstddef>
#include <string_view>

namespace sluice::api {

template <std::size_t N>
struct Name {
  char chars[N]{};
  constexpr Name(const char (&text)[N]) { std::copy_n(text, N, chars); }  // NOLINT(google-explicit-constructor)
  constexpr std::string_view view() const { return {chars, N - 1}; }
};

}  // namespace sluice::api
