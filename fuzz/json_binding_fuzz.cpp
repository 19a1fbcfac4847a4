// JSON request bodies bound to typed API models, as Body<T> does: parse (with the position of a
// syntax error), then read and validate every field — constraints, enums, nested lists,
// optionals, defaults, forbidden extra fields — collecting FastAPI-shaped issues.
#include "sluice/api/bind.hpp"
#include "sluice/api/model.hpp"

#include <boost/describe/class.hpp>
#include <boost/describe/enum.hpp>

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace fuzzed {

using namespace sluice::api;

BOOST_DEFINE_ENUM_CLASS(Role, system, user, assistant)

struct Message {
  Role role;
  Field<std::string, MinLength<1>, MaxLength<20>> content;
};
BOOST_DESCRIBE_STRUCT(Message, (), (role, content))

struct Chat {
  Field<std::string, Pattern<"^[a-z0-9-]+$">> model;
  Field<std::vector<Message>, MinLength<1>> messages;
  Field<int, Ge<0>, Le<2>, WithDefault> temperature = 1;  // clang 14: no floating-point template arguments
  Field<int, Gt<0>, Lt<4097>, WithDefault> max_tokens = 16;
  std::optional<std::string> user;
  std::vector<std::int64_t> ids;
  bool stream = false;
  static constexpr bool forbid_extra_fields = true;
};
BOOST_DESCRIBE_STRUCT(Chat, (), (model, messages, temperature, max_tokens, user, ids, stream))

}  // namespace fuzzed

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace sluice::api;
  Issues issues;
  auto json = detail::parse_body(std::string_view(reinterpret_cast<const char*>(data), size), issues);
  if (!json) {
    if (issues.empty()) __builtin_trap();  // a refused body always says why
    return 0;
  }
  auto chat = Codec<fuzzed::Chat>::read(*json, issues, Loc{"body"});
  if (chat.has_value() != issues.empty()) __builtin_trap();  // a value, or the reasons there is none
  if (!issues.empty()) (void)issues.to_error().to_json();
  return 0;
}
