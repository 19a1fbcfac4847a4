// libFuzzer target for the cron parser behind POST /schedules, and the next-tick search over
// whatever it accepts (in a zone with DST, from an instant the input's first bytes choose).
#include "sluice/jobs/cron.hpp"

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace sluice::jobs;
  std::uint32_t seconds = 0;
  if (size >= sizeof seconds) {
    std::memcpy(&seconds, data, sizeof seconds);
    data += sizeof seconds;
    size -= sizeof seconds;
  }
  auto cron = CronExpression::parse(std::string_view(reinterpret_cast<const char*>(data), size));
  if (!cron) return 0;
  static const auto paris = *TimeZone::locate("Europe/Paris");
  auto tick = next_cron_tick(*cron, paris, std::int64_t{seconds} * 1000);
  if (tick && *tick <= std::int64_t{seconds} * 1000) __builtin_trap();  // must be strictly after
  return 0;
}
