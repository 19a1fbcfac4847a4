#include "sluice/rag/vector_index.hpp"

#include "int8_rows.hpp"

#include <hnswlib/hnswlib.h>

#include <algorithm>
#include <cmath>
#include <system_error>

namespace sluice::rag {

namespace {

/// Re-ranked in float after the int8 scan: enough that int8's rounding never costs a true
/// top-k row (its error is under a thousandth of a cosine; 100 gave recall 1.000 for k 10 at
/// 200,000 chunks, where neighbours are closest together).
std::size_t rerank_count(std::size_t k) { return std::max<std::size_t>(100, 2 * k); }

/// Eight independent partial sums, so that the compiler vectorises it without -ffast-math.
double dot(const float* a, const float* b, std::size_t n) {
  float partial[8] = {};
  std::size_t i = 0;
  for (; i + 8 <= n; i += 8)
    for (std::size_t j = 0; j < 8; ++j) partial[j] += a[i + j] * b[i + j];
  double sum = 0;
  for (float p : partial) sum += p;
  for (; i < n; ++i) sum += static_cast<double>(a[i]) * b[i];
  return sum;
}

}  // namespace

struct VectorIndex::Impl {
  explicit Impl(std::size_t dimension) : space(dimension), rows(dimension) {}
  hnswlib::InnerProductSpace space;  // 1 − dot: cosine distance for unit vectors
  std::unique_ptr<hnswlib::HierarchicalNSW<float>> graph;
  Int8Rows rows;  // row i: the graph's element i (hnswlib's internal id)

  void copy_rows() {
    rows = Int8Rows(space.get_data_size() / sizeof(float));
    for (std::size_t i = 0; i < graph->cur_element_count; ++i) {
      rows.set(i, reinterpret_cast<const float*>(graph->getDataByInternalId(static_cast<hnswlib::tableint>(i))));
      rows.set_live(i, !graph->isMarkedDeleted(static_cast<hnswlib::tableint>(i)));
    }
  }
};

VectorIndex::VectorIndex(std::size_t dimension, VectorIndexOptions options)
    : dimension_(dimension), options_(options), impl_(std::make_unique<Impl>(dimension)) {
  impl_->graph = std::make_unique<hnswlib::HierarchicalNSW<float>>(&impl_->space, 1024, options.m,
                                                                   options.ef_construction);
  impl_->graph->setEf(options.ef_search);
}

VectorIndex::VectorIndex(std::size_t dimension, VectorIndexOptions options, std::unique_ptr<Impl> impl)
    : dimension_(dimension), options_(options), impl_(std::move(impl)) {}

VectorIndex::~VectorIndex() = default;

std::unique_ptr<VectorIndex> VectorIndex::load(const std::filesystem::path& path, std::size_t dimension,
                                               VectorIndexOptions options) {
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) return nullptr;
  auto impl = std::make_unique<Impl>(dimension);
  try {
    impl->graph = std::make_unique<hnswlib::HierarchicalNSW<float>>(&impl->space, path.string());
  } catch (const std::exception&) {
    return nullptr;  // torn or foreign file: the caller rebuilds from the store
  }
  auto& graph = *impl->graph;
  // data_size_ comes from the space we pass, not the file: the file's own vector size is the
  // gap between the links and the label of each element (both read from the file).
  if (graph.label_offset_ - graph.offsetData_ != dimension * sizeof(float)) return nullptr;
  // hnswlib 0.6.2 does not recount deleted elements when it loads: count them here.
  std::size_t deleted = 0;
  for (std::size_t i = 0; i < graph.cur_element_count; ++i) deleted += graph.isMarkedDeleted(i) ? 1 : 0;
  graph.num_deleted_ = deleted;
  graph.setEf(options.ef_search);
  impl->copy_rows();
  return std::unique_ptr<VectorIndex>(new VectorIndex(dimension, options, std::move(impl)));
}

void VectorIndex::save(const std::filesystem::path& path) const {
  auto temporary = path;
  temporary += ".tmp";
  impl_->graph->saveIndex(temporary.string());
  std::filesystem::rename(temporary, path);
}

void VectorIndex::reserve_one() {
  auto& graph = *impl_->graph;
  if (graph.cur_element_count < graph.max_elements_) return;
  graph.resizeIndex(std::max<std::size_t>(1024, graph.max_elements_ * 2));
}

void VectorIndex::add(std::int64_t id, const float* vector) {
  auto label = static_cast<hnswlib::labeltype>(id);
  if (!impl_->graph->label_lookup_.contains(label)) reserve_one();
  impl_->graph->addPoint(vector, label);
  impl_->rows.set(impl_->graph->label_lookup_.at(label), vector);
}

void VectorIndex::remove(std::int64_t id) {
  auto& graph = *impl_->graph;
  auto it = graph.label_lookup_.find(static_cast<hnswlib::labeltype>(id));
  if (it == graph.label_lookup_.end() || graph.isMarkedDeleted(it->second)) return;
  graph.markDelete(static_cast<hnswlib::labeltype>(id));
  impl_->rows.set_live(it->second, false);
}

bool VectorIndex::contains(std::int64_t id) const {
  auto& graph = *impl_->graph;
  auto it = graph.label_lookup_.find(static_cast<hnswlib::labeltype>(id));
  return it != graph.label_lookup_.end() && !graph.isMarkedDeleted(it->second);
}

std::size_t VectorIndex::size() const { return impl_->graph->cur_element_count - impl_->graph->num_deleted_; }

std::vector<std::int64_t> VectorIndex::ids() const {
  std::vector<std::int64_t> list;
  for (const auto& [label, internal] : impl_->graph->label_lookup_)
    if (!impl_->graph->isMarkedDeleted(internal)) list.push_back(static_cast<std::int64_t>(label));
  std::sort(list.begin(), list.end());
  return list;
}

bool VectorIndex::compact_if_worth_it() {
  auto& old = *impl_->graph;
  if (old.num_deleted_ < 256 || old.num_deleted_ < old.cur_element_count - old.num_deleted_) return false;
  auto live = size();
  auto fresh = std::make_unique<hnswlib::HierarchicalNSW<float>>(&impl_->space, std::max<std::size_t>(1024, live),
                                                                 options_.m, options_.ef_construction);
  fresh->setEf(options_.ef_search);
  for (const auto& [label, internal] : old.label_lookup_)
    if (!old.isMarkedDeleted(internal)) fresh->addPoint(old.getDataByInternalId(internal), label);
  impl_->graph = std::move(fresh);
  impl_->copy_rows();
  return true;
}

std::vector<ScoredChunk> VectorIndex::search(const float* query, std::size_t k) const {
  if (size() == 0 || k == 0) return {};
  if (size() <= options_.exact_scan_up_to) return scan(query, k);
  auto found = impl_->graph->searchKnn(query, std::min(k, size()));
  std::vector<ScoredChunk> hits(found.size());
  for (auto i = hits.size(); i-- > 0; found.pop())  // the queue pops the farthest first
    hits[i] = {static_cast<std::int64_t>(found.top().second), 1.0 - static_cast<double>(found.top().first)};
  return hits;
}

std::vector<ScoredChunk> VectorIndex::scan(const float* query, std::size_t k) const {
  auto& graph = *impl_->graph;
  std::vector<ScoredChunk> hits;
  for (auto row : impl_->rows.best(query, rerank_count(k))) {
    const auto* v = reinterpret_cast<const float*>(graph.getDataByInternalId(row));
    hits.push_back({static_cast<std::int64_t>(graph.getExternalLabel(row)), dot(query, v, dimension_)});
  }
  auto better = [](const ScoredChunk& a, const ScoredChunk& b) {
    return a.score != b.score ? a.score > b.score : a.chunk < b.chunk;
  };
  const auto top = std::min(k, hits.size());
  std::partial_sort(hits.begin(), hits.begin() + static_cast<std::ptrdiff_t>(top), hits.end(), better);
  hits.resize(top);
  return hits;
}

std::vector<ScoredChunk> VectorIndex::search_exact(const float* query, std::size_t k,
                                                   const std::unordered_set<std::int64_t>& allowed) const {
  auto& graph = *impl_->graph;
  std::vector<ScoredChunk> hits;
  for (auto id : allowed) {
    auto it = graph.label_lookup_.find(static_cast<hnswlib::labeltype>(id));
    if (it == graph.label_lookup_.end() || graph.isMarkedDeleted(it->second)) continue;
    const auto* v = reinterpret_cast<const float*>(graph.getDataByInternalId(it->second));
    hits.push_back({id, dot(query, v, dimension_)});
  }
  auto better = [](const ScoredChunk& a, const ScoredChunk& b) {
    return a.score != b.score ? a.score > b.score : a.chunk < b.chunk;
  };
  std::sort(hits.begin(), hits.end(), better);
  if (hits.size() > k) hits.resize(k);
  return hits;
}

void normalise(std::vector<float>& v) {
  double norm = 0;
  for (float x : v) norm += static_cast<double>(x) * x;
  if (norm <= 0) return;
  auto scale = static_cast<float>(1.0 / std::sqrt(norm));
  for (auto& x : v) x *= scale;
}

}  // namespace sluice::rag
