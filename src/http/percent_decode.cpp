#include "percent_decode.hpp"

#include <boost/url/encoding_opts.hpp>
#include <boost/url/pct_string_view.hpp>

namespace sluice::http::detail {

std::optional<std::string> percent_decode(std::string_view text, bool plus_is_space) {
  auto escaped = boost::urls::make_pct_string_view(text);
  if (!escaped) return std::nullopt;  // a malformed or truncated escape
  boost::urls::encoding_opts options;
  options.space_as_plus = plus_is_space;
  return escaped->decode(options);
}

}  // namespace sluice::http::detail
