// libFuzzer target for the multipart/form-data parser behind POST /v1/files.
#include "sluice/http/multipart.hpp"

#include <cstddef>
#include <cstdint>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  sluice::http::fuzz_multipart(data, size);
  return 0;
}
