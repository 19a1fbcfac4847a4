#pragma once
// Vectors kept as int8 with one scale per row, for exact scans: a quarter of float's memory
// traffic, and a ranking close enough to float's that re-ranking the best few hundred rows in
// float gives the exact top k.

#include <cstddef>
#include <cstdint>
#include <vector>

namespace sluice::rag {

class Int8Rows {
 public:
  explicit Int8Rows(std::size_t dimension) : dimension_(dimension) {}

  /// Row `row` (the table grows to hold it) becomes `v`, live.
  void set(std::size_t row, const float* v);
  /// A row that is not live is never returned by best().
  void set_live(std::size_t row, bool is_live);
  /// Up to `count` live rows with the largest approximate dot products with `query`, unordered.
  std::vector<std::uint32_t> best(const float* query, std::size_t count) const;

 private:
  std::size_t dimension_;
  std::vector<std::int8_t> codes_;  // row-major, dimension_ per row
  std::vector<float> scales_;       // code × scale ≈ value
  std::vector<std::uint8_t> live_;
};

}  // namespace sluice::rag
