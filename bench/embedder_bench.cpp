// The built-in embedder alone: microseconds per text at batch sizes 1..64, split into feature
// hashing and the projection, to show where batching pays (the projection) and where it cannot
// (hashing is per text).
//   build/release/sluice-embedder-bench [dimension] [hashed_features]
#include "sluice/ai/embedding_model.hpp"

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

int main(int argc, char** argv) {
  sluice::ai::BuiltinEmbedderOptions options;
  if (argc > 1) options.dimension = std::strtoul(argv[1], nullptr, 10);
  if (argc > 2) options.hashed_features = std::strtoul(argv[2], nullptr, 10);
  sluice::ai::BuiltinEmbeddingModel model(options);
  std::vector<std::string> corpus;
  for (int i = 0; i < 64; ++i)
    corpus.push_back("Sluice batches concurrent embedding requests into one matrix product, request " +
                     std::to_string(i));
  std::printf("batch,us_per_text\n");
  for (std::size_t batch : {1u, 2u, 4u, 8u, 16u, 32u, 64u}) {
    std::vector<std::string> texts(corpus.begin(), corpus.begin() + static_cast<long>(batch));
    model.embed_batch(texts);  // warm-up
    const int rounds = static_cast<int>(2048 / batch);
    auto start = std::chrono::steady_clock::now();
    for (int r = 0; r < rounds; ++r) model.embed_batch(texts);
    double us = std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - start).count();
    std::printf("%zu,%.1f\n", batch, us / (rounds * static_cast<double>(batch)));
  }
}
