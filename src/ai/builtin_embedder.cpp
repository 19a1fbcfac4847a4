#include "sluice/ai/embedding_model.hpp"

#include "text_features.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <stdexcept>
#include <unordered_map>

#if defined(__x86_64__)
#include <immintrin.h>
#endif

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

// The projection Y = X · W (X: texts × rows, W: rows × dim) as a register-tiled matrix product.
// A tile is `Texts` texts × 8·`Vectors` output columns, accumulated in registers over a block of
// W's rows; each row piece of W, once loaded, serves every text of the tile. With one text the
// whole of W streams from memory for that text alone (bandwidth-bound); with many, each block of
// W is loaded once and reused from L1 by every tile (compute-bound): that is where batching pays.
// Tiles hold 8 accumulators either way (4 texts × 16 columns, or 1 text × 64 columns), enough
// independent chains to hide the FMA latency, so a lone text is not handicapped.
using v8 = float __attribute__((vector_size(32), aligned(4)));  // aligned(4): unaligned loads allowed
constexpr std::size_t rows_per_block = 256;  // 256 rows × 64 weights = 16 KiB of W: stays in L1

// Eight int8 weights as floats. GCC 12 does not vectorise __builtin_convertvector from int8, so
// the AVX2 kernel says it with intrinsics: one sign-extending load and one conversion.
struct WidenPortable {
  static void load(const std::int8_t* w, v8& out) {
    for (int i = 0; i < 8; ++i) out[i] = static_cast<float>(w[i]);
  }
};
#if defined(__x86_64__)
struct WidenAvx2 {
  [[gnu::target("avx2,fma")]] static void load(const std::int8_t* w, v8& out) {
    out = _mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(_mm_loadl_epi64(reinterpret_cast<const __m128i*>(w))));
  }
};
#endif

template <class Widen, std::size_t Texts, std::size_t Vectors>
[[gnu::always_inline]] inline void project_tile(const float* x, std::size_t rows, std::size_t r0, std::size_t r1,
                                                const std::int8_t* w, std::size_t dim, std::size_t d0, float* y) {
  v8 acc[Texts][Vectors];
  for (std::size_t t = 0; t < Texts; ++t)
    for (std::size_t v = 0; v < Vectors; ++v) acc[t][v] = *reinterpret_cast<const v8*>(y + t * dim + d0 + 8 * v);
  for (std::size_t r = r0; r < r1; ++r) {
    v8 wr[Vectors];
    for (std::size_t v = 0; v < Vectors; ++v) Widen::load(w + r * dim + d0 + 8 * v, wr[v]);
    for (std::size_t t = 0; t < Texts; ++t) {
      const float a = x[t * rows + r];
      for (std::size_t v = 0; v < Vectors; ++v) acc[t][v] += a * wr[v];
    }
  }
  for (std::size_t t = 0; t < Texts; ++t)
    for (std::size_t v = 0; v < Vectors; ++v) *reinterpret_cast<v8*>(y + t * dim + d0 + 8 * v) = acc[t][v];
}

template <class Widen>
[[gnu::always_inline]] inline void project_body(const float* x, std::size_t n, std::size_t rows, const std::int8_t* w,
                                                std::size_t dim, float* y) {
  const std::size_t tiled_dim = dim - dim % 16;
  for (std::size_t r0 = 0; r0 < rows; r0 += rows_per_block) {
    const std::size_t r1 = std::min(rows, r0 + rows_per_block);
    std::size_t t = 0;
    for (; t + 4 <= n; t += 4)
      for (std::size_t d0 = 0; d0 < tiled_dim; d0 += 16)
        project_tile<Widen, 4, 2>(x + t * rows, rows, r0, r1, w, dim, d0, y + t * dim);
    for (; t < n; ++t) {
      std::size_t d0 = 0;
      for (; d0 + 64 <= tiled_dim; d0 += 64)
        project_tile<Widen, 1, 8>(x + t * rows, rows, r0, r1, w, dim, d0, y + t * dim);
      for (; d0 < tiled_dim; d0 += 16)
        project_tile<Widen, 1, 2>(x + t * rows, rows, r0, r1, w, dim, d0, y + t * dim);
    }
    // Columns past the last full tile (dimensions not a multiple of 16), plainly.
    for (std::size_t i = 0; i < n; ++i)
      for (std::size_t r = r0; r < r1; ++r)
        for (std::size_t d = tiled_dim; d < dim; ++d)
          y[i * dim + d] += x[i * rows + r] * static_cast<float>(w[r * dim + d]);
  }
}

#if defined(__x86_64__)
// flatten: inlines the widening, an AVX2 function, into this AVX2 kernel.
[[gnu::target("avx2,fma"), gnu::flatten]] void project_avx2(const float* x, std::size_t n, std::size_t rows,
                                                            const std::int8_t* w, std::size_t dim, float* y) {
  project_body<WidenAvx2>(x, n, rows, w, dim, y);
}
#endif

[[gnu::flatten]] void project_portable(const float* x, std::size_t n, std::size_t rows, const std::int8_t* w,
                                       std::size_t dim, float* y) {
  project_body<WidenPortable>(x, n, rows, w, dim, y);
}

/// The build targets baseline x86-64; the CPU decides at run time whether AVX2 kernels run.
void project(const float* x, std::size_t n, std::size_t rows, const std::int8_t* w, std::size_t dim, float* y) {
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
  // Uniform entries in [-1, 1): a Johnson–Lindenstrauss projection up to a common scale, which
  // the final normalisation removes. Stored as int8 (×127, rounded), as quantised encoders store
  // their weights: a quarter of the memory traffic of floats, and the same vectors to within
  // the rounding (0.4% of an entry's spread).
  projection_.resize(options_.hashed_features * options_.dimension);
  std::uint64_t state = options_.seed;
  for (auto& value : projection_) {
    double unit = static_cast<double>(splitmix64(state) >> 11) * 0x1.0p-53;  // [0, 1)
    value = static_cast<std::int8_t>(std::lround((2.0 * unit - 1.0) * 127.0));
  }
}

std::size_t BuiltinEmbeddingModel::count_tokens(std::string_view text) const { return detail::count_words(text); }

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
  // Blocks of texts: the hashed features take 64 KiB per text, so a block bounds the working
  // memory (4 MiB) whatever the batch size, and the projection is still streamed once per block.
  constexpr std::size_t block = 64;
  const std::size_t n = texts.size(), width = options_.hashed_features, dim = options_.dimension;
  std::vector<float> features(std::min(n, block) * width);
  std::vector<float> projected(std::min(n, block) * dim);
  std::vector<Vector> out(n);
  for (std::size_t first = 0; first < n; first += block) {
    const std::size_t count = std::min(block, n - first);
    std::fill(features.begin(), features.end(), 0.0f);
    std::fill(projected.begin(), projected.end(), 0.0f);
    for (std::size_t i = 0; i < count; ++i) hash_features(texts[first + i], features.data() + i * width);
    project(features.data(), count, width, projection_.data(), dim, projected.data());
    for (std::size_t i = 0; i < count; ++i) {
      auto& vector = out[first + i];
      vector.assign(projected.begin() + static_cast<std::ptrdiff_t>(i * dim),
                    projected.begin() + static_cast<std::ptrdiff_t>((i + 1) * dim));
      normalise(vector.data(), dim);
    }
  }
  return out;
}

Vector truncate_and_normalise(const Vector& v, std::size_t dimensions) {
  Vector out(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(std::min(dimensions, v.size())));
  normalise(out.data(), out.size());
  return out;
}

}  // namespace sluice::ai
