#include "sluice/ai/embedding_model.hpp"

#include "text_features.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <stdexcept>
#include <unordered_map>

namespace sluice::ai {

namespace {

std::uint64_t fnv1a(std::string_view text, std::uint64_t kind) {
  std::uint64_t h = 1469598103934665603ULL ^ (kind * 0x9e3779b97f4a7c15ULL);
  for (char c : text) {
    h ^= static_cast<unsigned char>(c);
    h *= 1099511628211ULL;
  }
  // FNV's low bits mix poorly; a final avalanche (splitmix64's) spreads them.
  h ^= h >> 31;
  h *= 0xbf58476d1ce4e5b9ULL;
  h ^= h >> 29;
  return h;
}

std::uint64_t splitmix64(std::uint64_t& state) {
  std::uint64_t z = (state += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

void normalise(float* v, std::size_t n) {
  double sum = 0;
  for (std::size_t i = 0; i < n; ++i) sum += static_cast<double>(v[i]) * v[i];
  if (sum == 0) return;
  auto scale = static_cast<float>(1.0 / std::sqrt(sum));
  for (std::size_t i = 0; i < n; ++i) v[i] *= scale;
}

// Feature kinds and weights: whole words carry most meaning, bigrams keep some order, character
// grams let "embedding" match "embeddings". Weights were picked by eye on paraphrase pairs.
enum Kind : std::uint64_t { unigram = 1, bigram = 2, chargram = 3 };
constexpr float unigram_weight = 1.0f, bigram_weight = 0.6f, chargram_weight = 0.25f;

constexpr std::size_t rows_per_block = 64;  // 64 rows × 384 floats = 96 KiB: stays in L2

// Y[n] += X[n] · W for a block of W's rows at a time, every text of the batch against the block
// while it is in cache: W is read from memory once per batch. Four texts share each load of W.
[[gnu::always_inline]] inline void project_body(const float* x, std::size_t n, std::size_t rows, const float* w,
                                                std::size_t dim, float* y) {
  for (std::size_t r0 = 0; r0 < rows; r0 += rows_per_block) {
    const std::size_t r1 = std::min(rows, r0 + rows_per_block);
    std::size_t t = 0;
    for (; t + 4 <= n; t += 4) {
      float* y0 = y + t * dim;
      float* y1 = y0 + dim;
      float* y2 = y1 + dim;
      float* y3 = y2 + dim;
      for (std::size_t r = r0; r < r1; ++r) {
        const float a0 = x[t * rows + r], a1 = x[(t + 1) * rows + r], a2 = x[(t + 2) * rows + r],
                    a3 = x[(t + 3) * rows + r];
        const float* wr = w + r * dim;
        for (std::size_t d = 0; d < dim; ++d) {
          const float wd = wr[d];
          y0[d] += a0 * wd;
          y1[d] += a1 * wd;
          y2[d] += a2 * wd;
          y3[d] += a3 * wd;
        }
      }
    }
    for (; t < n; ++t) {
      float* yt = y + t * dim;
      for (std::size_t r = r0; r < r1; ++r) {
        const float a = x[t * rows + r];
        const float* wr = w + r * dim;
        for (std::size_t d = 0; d < dim; ++d) yt[d] += a * wr[d];
      }
    }
  }
}

#if defined(__x86_64__)
[[gnu::target("avx2,fma")]] void project_avx2(const float* x, std::size_t n, std::size_t rows, const float* w,
                                              std::size_t dim, float* y) {
  project_body(x, n, rows, w, dim, y);
}
#endif

void project_portable(const float* x, std::size_t n, std::size_t rows, const float* w, std::size_t dim, float* y) {
  project_body(x, n, rows, w, dim, y);
}

/// The build targets baseline x86-64; the CPU decides at run time whether AVX2 kernels run.
void project(const float* x, std::size_t n, std::size_t rows, const float* w, std::size_t dim, float* y) {
#if defined(__x86_64__)
  static const bool has_avx2 = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
  if (has_avx2) return project_avx2(x, n, rows, w, dim, y);
#endif
  project_portable(x, n, rows, w, dim, y);
}

}  // namespace

BuiltinEmbeddingModel::BuiltinEmbeddingModel(BuiltinEmbedderOptions options) : options_(std::move(options)) {
  if (options_.dimension == 0 || options_.hashed_features == 0)
    throw std::invalid_argument("embedding dimension and hashed features must be positive");
  // Uniform entries with variance 1/dimension: a Johnson–Lindenstrauss projection.
  projection_.resize(options_.hashed_features * options_.dimension);
  std::uint64_t state = options_.seed;
  const double scale = std::sqrt(3.0 / static_cast<double>(options_.dimension));
  for (auto& value : projection_) {
    double unit = static_cast<double>(splitmix64(state) >> 11) * 0x1.0p-53;  // [0, 1)
    value = static_cast<float>((2.0 * unit - 1.0) * scale);
  }
}

std::size_t BuiltinEmbeddingModel::count_tokens(std::string_view text) const { return detail::words(text).size(); }

void BuiltinEmbeddingModel::hash_features(std::string_view text, float* out) const {
  struct Term {
    float weight;
    float count;
  };
  std::unordered_map<std::uint64_t, Term> terms;
  auto add = [&](Kind kind, std::string_view feature, float weight) {
    auto& term = terms.try_emplace(fnv1a(feature, kind), Term{weight, 0.0f}).first->second;
    term.count += 1.0f;
  };
  auto list = detail::words(text);
  const std::string* previous = nullptr;
  for (const auto& word : list) {
    if (detail::is_stopword(word)) continue;
    add(unigram, word, unigram_weight);
    if (previous) add(bigram, *previous + ' ' + word, bigram_weight);
    previous = &word;
    std::string padded = "<" + word + ">";
    for (std::size_t n = 3; n <= 4; ++n)
      for (std::size_t i = 0; i + n <= padded.size(); ++i)
        add(chargram, std::string_view(padded).substr(i, n), chargram_weight);
  }
  const std::size_t width = options_.hashed_features;
  for (const auto& [hash, term] : terms) {
    // Signed hashing: collisions cancel out on average instead of piling up.
    float sign = (hash >> 63) ? -1.0f : 1.0f;
    out[hash % width] += sign * term.weight * (1.0f + std::log(term.count));
  }
  normalise(out, width);
}

std::vector<Vector> BuiltinEmbeddingModel::embed_batch(const std::vector<std::string>& texts) const {
  const std::size_t n = texts.size(), width = options_.hashed_features, dim = options_.dimension;
  std::vector<float> features(n * width, 0.0f);
  for (std::size_t i = 0; i < n; ++i) hash_features(texts[i], features.data() + i * width);
  std::vector<float> projected(n * dim, 0.0f);
  project(features.data(), n, width, projection_.data(), dim, projected.data());
  std::vector<Vector> out(n);
  for (std::size_t i = 0; i < n; ++i) {
    out[i].assign(projected.begin() + static_cast<std::ptrdiff_t>(i * dim),
                  projected.begin() + static_cast<std::ptrdiff_t>((i + 1) * dim));
    normalise(out[i].data(), dim);
  }
  return out;
}

Vector truncate_and_normalise(const Vector& v, std::size_t dimensions) {
  Vector out(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(std::min(dimensions, v.size())));
  normalise(out.data(), out.size());
  return out;
}

}  // namespace sluice::ai
