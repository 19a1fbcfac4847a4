#include "demo_job.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <stdexcept>
#include <string>

namespace sluice::app {

boost::json::value demo_work(std::int64_t label, std::int64_t documents, jobs::JobContext& job) {
  if (label < 1) throw std::invalid_argument("label " + std::to_string(label) + " is below 1");
  std::uint64_t buckets[64] = {};
  constexpr std::int64_t kChunk = 1000;
  for (std::int64_t start = 0; start < documents; start += kChunk) {
    job.throw_if_cancelled();
    for (std::int64_t document = start; document < std::min(documents, start + kChunk); ++document) {
      std::string text = "demo " + std::to_string(label) + " document " + std::to_string(document);
      std::uint64_t hash = 1469598103934665603ull;  // FNV-1a
      for (unsigned char c : text) hash = (hash ^ c) * 1099511628211ull;
      buckets[hash % 64] += 1;
    }
    job.progress(static_cast<double>(std::min(documents, start + kChunk)) / static_cast<double>(documents),
                 std::to_string(std::min(documents, start + kChunk)) + "/" + std::to_string(documents) + " documents");
  }
  auto used = std::count_if(std::begin(buckets), std::end(buckets), [](auto n) { return n > 0; });
  spdlog::info("demo({}) finished: {} documents in {} buckets", label, documents, used);
  return {{"label", label}, {"documents", documents}, {"buckets_used", used}};
}

}  // namespace sluice::app
