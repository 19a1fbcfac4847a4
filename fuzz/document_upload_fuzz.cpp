// libFuzzer target for POST /datasets/{id}/documents: the upload parser (JSON, NDJSON with BEIR
// lines, one text/plain, text/markdown or text/html document). The first byte picks the
// content type; the rest is the body. Every document it accepts must carry valid UTF-8, the
// only text the store and the analyser are written for; and a JSON or NDJSON upload read a
// document at a time gives what reading it whole gives.
#include "document_upload.hpp"

#include <cstddef>
#include <cstdint>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  constexpr std::string_view types[] = {"application/json", "application/x-ndjson", "text/plain",
                                        "text/markdown; charset=utf-8", "text/html"};
  const auto type = types[data[0] % std::size(types)];
  std::string_view body(reinterpret_cast<const char*>(data) + 1, size - 1);
  auto documents = sluice::rag::parse_documents(type, body, {});
  if (!documents) return 0;
  for (const auto& document : *documents)
    if (!sluice::rag::is_valid_utf8(document.text) || !sluice::rag::is_valid_utf8(document.title)) __builtin_trap();
  if (auto stream = sluice::rag::document_stream(type, body)) {
    std::size_t i = 0;
    for (auto one = stream->next({1}); !one || !one->empty(); one = stream->next({1}), ++i)
      if (!one || one->size() != 1 || i >= documents->size() || (*one)[0].id != (*documents)[i].id ||
          (*one)[0].text != (*documents)[i].text)
        __builtin_trap();
    if (i != documents->size()) __builtin_trap();
  }
  return 0;
}
