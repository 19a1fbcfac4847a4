#include "int8_rows.hpp"

#include <algorithm>
#include <cmath>
#include <functional>
#include <queue>
#include <utility>

namespace sluice::rag {

namespace {

/// Symmetric quantisation: the largest magnitude maps to ±127.
float quantise(const float* v, std::size_t n, std::int8_t* out) {
  float largest = 0;
  for (std::size_t i = 0; i < n; ++i) largest = std::max(largest, std::abs(v[i]));
  const float scale = largest / 127.0f;
  for (std::size_t i = 0; i < n; ++i)
    out[i] = scale > 0 ? static_cast<std::int8_t>(std::lround(v[i] / scale)) : std::int8_t{0};
  return scale;
}

// The scan's whole cost. GCC builds an AVX2 copy too and picks one at load time (the baseline
// x86-64 target has only SSE2); both vectorise this loop.
#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__)
__attribute__((target_clones("avx2", "default")))
#endif
std::int32_t dot(const std::int8_t* a, const std::int8_t* b, std::size_t n) {
  std::int32_t sum = 0;
  for (std::size_t i = 0; i < n; ++i) sum += static_cast<std::int32_t>(a[i]) * static_cast<std::int32_t>(b[i]);
  return sum;
}

}  // namespace

void Int8Rows::set(std::size_t row, const float* v) {
  if (row >= scales_.size()) {
    const auto rows = std::max(row + 1, scales_.size() * 2);
    codes_.resize(rows * dimension_);
    scales_.resize(rows);
    live_.resize(rows);
  }
  scales_[row] = quantise(v, dimension_, codes_.data() + row * dimension_);
  live_[row] = 1;
}

void Int8Rows::set_live(std::size_t row, bool is_live) {
  if (row < live_.size()) live_[row] = is_live ? 1 : 0;
}

std::vector<std::uint32_t> Int8Rows::best(const float* query, std::size_t count) const {
  std::vector<std::int8_t> q(dimension_);
  quantise(query, dimension_, q.data());  // the query's own scale ranks nothing: left out
  // The `count` best so far, worst on top.
  using Scored = std::pair<float, std::uint32_t>;
  std::priority_queue<Scored, std::vector<Scored>, std::greater<>> kept;
  for (std::size_t row = 0; row < scales_.size(); ++row) {
    if (!live_[row]) continue;
    const float score = scales_[row] * static_cast<float>(dot(q.data(), codes_.data() + row * dimension_, dimension_));
    if (kept.size() < count) {
      kept.emplace(score, static_cast<std::uint32_t>(row));
    } else if (score > kept.top().first) {
      kept.pop();
      kept.emplace(score, static_cast<std::uint32_t>(row));
    }
  }
  std::vector<std::uint32_t> rows;
  rows.reserve(kept.size());
  for (; !kept.empty(); kept.pop()) rows.push_back(kept.top().second);
  return rows;
}

}  // namespace sluice::rag
