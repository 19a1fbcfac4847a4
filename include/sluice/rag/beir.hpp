#pragma once
// A BEIR-format folder: corpus.jsonl, queries.jsonl and qrels/<split>.tsv.

#include "sluice/rag/evaluation.hpp"

#include <filesystem>
#include <map>
#include <string>
#include <vector>

namespace sluice::rag {

struct BeirQuery {
  std::string id;
  std::string text;
};

struct BeirSet {
  std::filesystem::path corpus;                      // the corpus file, uploaded as it is (NDJSON)
  std::vector<BeirQuery> queries;                    // those judged in the split, in file order
  std::map<std::string, Judgements> judgements;  // query id → document id → grade
};

/// Reads queries and judgements of `split` ("" picks test, else train, else the only one).
/// Throws std::runtime_error naming what is missing or malformed.
BeirSet read_beir(const std::filesystem::path& directory, std::string split = {});

}  // namespace sluice::rag
