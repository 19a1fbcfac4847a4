#include "datasets.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <stdexcept>
#include <string>

namespace sluice::app {

void build_embeddings(std::int64_t dataset_id, DatasetStats& stats) {
  if (dataset_id < 1) {
    ++stats.failed;
    throw std::invalid_argument("dataset " + std::to_string(dataset_id) + " does not exist");
  }
  // Until datasets are stored (the jobs issue), the "documents" are synthetic: 1,000 texts of
  // the dataset, folded into 64 FNV-1a feature buckets. Deterministic and cheap, but real work.
  std::uint64_t buckets[64] = {};
  for (int document = 0; document < 1000; ++document) {
    std::string text = "dataset " + std::to_string(dataset_id) + " document " + std::to_string(document);
    std::uint64_t hash = 1469598103934665603ull;
    for (unsigned char c : text) hash = (hash ^ c) * 1099511628211ull;
    buckets[hash % 64] += 1;
  }
  ++stats.built;
  spdlog::info("build_embeddings({}) finished: 1000 documents in {} buckets", dataset_id,
               std::count_if(std::begin(buckets), std::end(buckets), [](auto n) { return n > 0; }));
}

}  // namespace sluice::app
