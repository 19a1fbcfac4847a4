#pragma once
// `sluice eval`: a BEIR data set through a running server's HTTP API, as a user would do it —
// create a dataset, upload the corpus, process it, run every judged query — then nDCG@10,
// Recall@100, MRR@10 and timings per retrieval mode.

#include <CLI/App.hpp>

#include <cstddef>
#include <cstdint>
#include <optional>

#include <string>
#include <vector>

namespace sluice::server {

struct EvalOptions {
  std::string url = "http://127.0.0.1:8000";
  std::string beir;                  // the BEIR folder
  std::string split;                 // qrels/<split>.tsv; empty: test, else train
  std::vector<std::string> modes{"keyword", "vector", "hybrid"};
  std::string fusion = "score";      // hybrid's fusion: rrf or score
  std::optional<double> vector_weight;  // hybrid's vector weight; unset: the server's default
  std::string api_key;               // Bearer key, when the server wants one
  std::int64_t dataset = 0;          // evaluate this already-loaded dataset instead of loading
  std::size_t upload_batch_bytes = 4 * 1024 * 1024;
};

void add_eval_flags(CLI::App& command, EvalOptions& options);
/// Runs the evaluation and prints the report; the process exit code.
int run_eval(const EvalOptions& options);

}  // namespace sluice::server
