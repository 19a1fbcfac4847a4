#include "sluice/rag/beir.hpp"

#include <boost/json/parse.hpp>

#include <fstream>
#include <sstream>
#include <stdexcept>

namespace sluice::rag {

namespace json = boost::json;

namespace {
std::string pick_split(const std::filesystem::path& qrels, std::string split) {
  if (!split.empty()) return split;
  for (const char* preferred : {"test", "train", "dev"})
    if (std::filesystem::exists(qrels / (std::string(preferred) + ".tsv"))) return preferred;
  throw std::runtime_error("no qrels/*.tsv in " + qrels.parent_path().string());
}
}  // namespace

BeirSet read_beir(const std::filesystem::path& directory, std::string split) {
  BeirSet set;
  set.corpus = directory / "corpus.jsonl";
  if (!std::filesystem::exists(set.corpus)) throw std::runtime_error("missing " + set.corpus.string());
  split = pick_split(directory / "qrels", split);
  std::ifstream qrels(directory / "qrels" / (split + ".tsv"));
  if (!qrels) throw std::runtime_error("missing qrels/" + split + ".tsv in " + directory.string());
  std::string line;
  while (std::getline(qrels, line)) {
    std::istringstream fields(line);
    std::string query, document, score;
    if (!std::getline(fields, query, '\t') || !std::getline(fields, document, '\t') || !std::getline(fields, score))
      continue;
    int grade = 0;
    try {
      grade = std::stoi(score);
    } catch (const std::exception&) {
      continue;  // the header line ("query-id corpus-id score")
    }
    set.judgements[query][document] = grade;
  }
  std::ifstream queries(directory / "queries.jsonl");
  if (!queries) throw std::runtime_error("missing queries.jsonl in " + directory.string());
  while (std::getline(queries, line)) {
    if (line.empty()) continue;
    auto value = json::parse(line).as_object();
    auto id = value.at("_id").is_string() ? std::string(value.at("_id").as_string())
                                          : std::to_string(value.at("_id").to_number<std::int64_t>());
    if (set.judgements.contains(id)) set.queries.push_back({id, std::string(value.at("text").as_string())});
  }
  if (set.queries.empty()) throw std::runtime_error("no judged queries in " + directory.string() + " (" + split + ")");
  return set;
}

}  // namespace sluice::rag
