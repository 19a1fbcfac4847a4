// Vector search at scale: N synthetic chunks (sentences of a BEIR corpus recombined), embedded
// by the built-in model and indexed by rag::VectorIndex. Reports build time, index file size and
// memory per chunk, then recall@10 against exact search and search latency: of the index as the
// server configures it (an int8 scan re-ranked in float up to 200,000 chunks), then of its HNSW
// graph alone at each ef.
// The target: 200,000 chunks at recall@10 >= 0.95 with p99 <= 20 ms.
//   bench/vector_scale.sh [--chunks 200000] [--queries 1000] [--corpus PATH] [--ef 64,128,256]
// Queries: the first --queries lines of queries.jsonl beside the corpus.
#include "sluice/ai/embedding_model.hpp"
#include "sluice/rag/vector_index.hpp"

#include <unistd.h>
#include <CLI/CLI.hpp>
#include <boost/json/parse.hpp>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>
#include <memory>
#include <random>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace {

namespace json = boost::json;
namespace rag = sluice::rag;
using Clock = std::chrono::steady_clock;

constexpr std::size_t top_k = 10;
// 64 texts per embed_batch call: the batcher's largest batch, so the model runs as it would
// under load in the server.
constexpr std::size_t embed_block = 64;

// The corpus's titles and sentences: real text, so that the embedder's features are as sparse
// and as skewed as in real chunks (random words would spread vectors evenly and flatter HNSW).
std::vector<std::string> read_sentences(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw std::runtime_error("cannot read " + path);
  std::vector<std::string> sentences;
  auto keep = [&](std::string_view sentence) {
    if (sentence.size() >= 20) sentences.emplace_back(sentence);  // drops "Methods." and the like
  };
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty()) continue;
    auto document = json::parse(line).as_object();
    keep(document.at("title").as_string());
    std::string_view text = document.at("text").as_string();
    while (!text.empty()) {
      auto end = text.find(". ");
      keep(text.substr(0, end == std::string_view::npos ? text.size() : end + 1));
      text.remove_prefix(end == std::string_view::npos ? text.size() : end + 2);
    }
  }
  if (sentences.empty()) throw std::runtime_error("no sentences in " + path);
  return sentences;
}

// The data set's own queries (queries.jsonl beside the corpus): questions in their own words.
// Not sentences of the corpus: those would make every chunk that contains one a near-tie, and
// recall would measure the order of ties.
std::vector<std::string> read_queries(const std::filesystem::path& path, std::size_t at_most) {
  std::ifstream in(path);
  if (!in) throw std::runtime_error("cannot read " + path.string());
  std::vector<std::string> queries;
  std::string line;
  while (queries.size() < at_most && std::getline(in, line))
    if (!line.empty()) queries.emplace_back(json::parse(line).as_object().at("text").as_string());
  if (queries.empty()) throw std::runtime_error("no queries in " + path.string());
  return queries;
}

std::string compose(const std::vector<std::string>& sentences, std::size_t count, std::mt19937_64& rng) {
  std::uniform_int_distribution<std::size_t> pick(0, sentences.size() - 1);
  std::string text;
  for (std::size_t i = 0; i < count; ++i) {
    if (i > 0) text += ' ';
    text += sentences[pick(rng)];
  }
  return text;
}

// Row i of the result is text i's unit vector. Only the model's time counts in `seconds`.
std::vector<float> embed_all(const sluice::ai::EmbeddingModel& model, std::size_t count,
                             const std::function<std::string()>& make_text, double& seconds) {
  std::vector<float> rows;
  rows.reserve(count * model.dimension());
  std::vector<std::string> texts;
  for (std::size_t done = 0; done < count; done += texts.size()) {
    texts.clear();
    while (texts.size() < embed_block && done + texts.size() < count) texts.push_back(make_text());
    auto start = Clock::now();
    auto vectors = model.embed_batch(texts);
    seconds += std::chrono::duration<double>(Clock::now() - start).count();
    for (const auto& v : vectors) rows.insert(rows.end(), v.begin(), v.end());
  }
  return rows;
}

double resident_bytes() {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line))
    if (line.starts_with("VmRSS:")) return std::stod(line.substr(6)) * 1024;  // "VmRSS:  123 kB"
  return 0;
}

// Eight partial sums: independent additions that the compiler may vectorise without
// -ffast-math, which keeps the brute force over 200,000 rows to seconds, not minutes.
float dot(const float* a, const float* b, std::size_t n) {
  float partial[8] = {};
  std::size_t i = 0;
  for (; i + 8 <= n; i += 8)
    for (std::size_t j = 0; j < 8; ++j) partial[j] += a[i + j] * b[i + j];
  float sum = 0;
  for (float p : partial) sum += p;
  for (; i < n; ++i) sum += a[i] * b[i];
  return sum;
}

// The true top k: the vectors are unit length, so the dot product is the cosine HNSW ranks by.
std::vector<std::int64_t> exact_top(const std::vector<float>& rows, const float* query, std::size_t dim) {
  std::vector<std::pair<float, std::int64_t>> scored(rows.size() / dim);
  for (std::size_t i = 0; i < scored.size(); ++i)
    scored[i] = {-dot(rows.data() + i * dim, query, dim), static_cast<std::int64_t>(i)};
  auto top = std::min(top_k, scored.size());
  std::partial_sort(scored.begin(), scored.begin() + static_cast<std::ptrdiff_t>(top), scored.end());
  std::vector<std::int64_t> ids;
  for (std::size_t i = 0; i < top; ++i) ids.push_back(scored[i].second);
  return ids;
}

void report_search(const rag::VectorIndex& index, const std::string& what, const std::vector<float>& queries,
                   const std::vector<std::vector<std::int64_t>>& exact) {
  const auto dim = index.dimension();
  std::vector<double> ms;
  double recall = 0;
  for (std::size_t q = 0; q < exact.size(); ++q) {
    auto start = Clock::now();
    auto hits = index.search(queries.data() + q * dim, top_k);
    ms.push_back(std::chrono::duration<double, std::micro>(Clock::now() - start).count() / 1000);
    auto found = std::count_if(hits.begin(), hits.end(), [&](const rag::ScoredChunk& hit) {
      return std::find(exact[q].begin(), exact[q].end(), hit.chunk) != exact[q].end();
    });
    recall += static_cast<double>(found) / static_cast<double>(exact[q].size());
  }
  std::sort(ms.begin(), ms.end());
  auto percentile = [&](double p) {  // nearest rank
    auto rank = static_cast<std::size_t>(std::ceil(p * static_cast<double>(ms.size())));
    return ms[std::clamp<std::size_t>(rank, 1, ms.size()) - 1];
  };
  std::printf("search k=%zu %s over %zu queries: recall@%zu %.3f, p50 %.2f ms, p99 %.2f ms\n", top_k, what.c_str(),
              exact.size(), top_k, recall / static_cast<double>(exact.size()), percentile(0.5), percentile(0.99));
}

}  // namespace

int main(int argc, char** argv) try {
  std::size_t chunk_count = 200000, query_count = 1000;
  std::string corpus = "../shared/datasets/scifact/corpus.jsonl";
  std::vector<std::size_t> efs = {128};
  CLI::App cli{"Recall@10 and latency of VectorIndex over synthetic chunks, against exact search"};
  cli.add_option("--chunks", chunk_count, "Chunks to index")->check(CLI::PositiveNumber)->capture_default_str();
  cli.add_option("--queries", query_count, "Queries")->check(CLI::PositiveNumber)->capture_default_str();
  rag::VectorIndexOptions graph;
  cli.add_option("--m", graph.m, "HNSW graph degree")->capture_default_str();
  cli.add_option("--ef-construction", graph.ef_construction, "HNSW build-time beam")->capture_default_str();
  cli.add_option("--corpus", corpus, "BEIR corpus.jsonl the sentences come from")->capture_default_str();
  cli.add_option("--ef", efs, "ef_search values to measure, comma-separated (default 128)")->delimiter(',');
  CLI11_PARSE(cli, argc, argv);
  auto sentences = read_sentences(corpus);
  std::printf("%zu sentences from %s\n", sentences.size(), corpus.c_str());

  std::mt19937_64 rng(0x5c01e);  // fixed seed: every run indexes the same chunks
  std::uniform_int_distribution<std::size_t> sentences_per_chunk(3, 6);
  sluice::ai::BuiltinEmbeddingModel model;
  const auto dim = model.dimension();
  double embed_s = 0, query_embed_s = 0;
  auto chunks = embed_all(
      model, chunk_count, [&] { return compose(sentences, sentences_per_chunk(rng), rng); }, embed_s);
  auto query_texts = read_queries(std::filesystem::path(corpus).parent_path() / "queries.jsonl", query_count);
  query_count = query_texts.size();
  std::size_t next_query = 0;
  auto queries = embed_all(
      model, query_count, [&] { return query_texts[next_query++]; }, query_embed_s);

  // ef_search only steers searches, so the build is the same whatever the first ef is.
  auto rss_before = resident_bytes();
  auto start = Clock::now();
  graph.ef_search = efs.front();
  auto index = std::make_unique<rag::VectorIndex>(dim, graph);
  for (std::size_t i = 0; i < chunk_count; ++i) index->add(static_cast<std::int64_t>(i), chunks.data() + i * dim);
  double build_s = std::chrono::duration<double>(Clock::now() - start).count();
  double rss_growth = resident_bytes() - rss_before;

  auto path = std::filesystem::temp_directory_path() / ("sluice-vector-scale-" + std::to_string(getpid()) + ".hnsw");
  index->save(path);
  auto file_bytes = static_cast<double>(std::filesystem::file_size(path));

  const auto n = static_cast<double>(chunk_count);
  std::printf(
      "chunks %zu, dim %zu: embedded in %.1f s (%.0f chunks/s); index built in %.1f s (%.0f chunks/s); "
      "index file %.1f MiB (%.0f bytes/chunk); RSS +%.1f MiB (%.0f bytes/chunk)\n",
      chunk_count, dim, embed_s, n / embed_s, build_s, n / build_s, file_bytes / (1 << 20), file_bytes / n,
      rss_growth / (1 << 20), rss_growth / n);

  std::vector<std::vector<std::int64_t>> exact;
  start = Clock::now();
  for (std::size_t q = 0; q < query_count; ++q) exact.push_back(exact_top(chunks, queries.data() + q * dim, dim));
  std::printf("exact search: %.1f ms per query (brute force)\n",
              std::chrono::duration<double, std::milli>(Clock::now() - start).count() / query_count);

  report_search(*index, index->size() <= graph.exact_scan_up_to ? "int8 scan + float re-rank" : "graph",
                queries, exact);
  // VectorIndex fixes ef_search when it is made: each ef loads the saved file anew, as a graph
  // that answers every search.
  for (auto ef : efs) {
    index.reset();  // one index in memory at a time
    auto options = graph;
    options.ef_search = ef;
    options.exact_scan_up_to = 0;
    index = rag::VectorIndex::load(path, dim, options);
    if (!index) throw std::runtime_error("cannot load " + path.string());
    report_search(*index, "graph ef=" + std::to_string(ef), queries, exact);
  }
  std::filesystem::remove(path);
} catch (const std::exception& e) {
  std::fprintf(stderr, "sluice-vector-scale: %s\n", e.what());
  return 1;
}
