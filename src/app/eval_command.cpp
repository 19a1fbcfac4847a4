#include "eval_command.hpp"

#include "sluice/rag/beir.hpp"

#include <CLI/CLI.hpp>
#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <boost/json/parse.hpp>
#include "sluice/core/json_text.hpp"
#include <boost/url/parse.hpp>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <optional>
#include <stdexcept>
#include <thread>

namespace sluice::server {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace json = boost::json;
using Clock = std::chrono::steady_clock;

namespace {

/// One keep-alive connection, blocking calls: a command-line tool has nothing else to do.
class Connection {
 public:
  Connection(const std::string& url, std::string api_key) : api_key_(std::move(api_key)) {
    auto parsed = boost::urls::parse_uri(url);
    if (!parsed || parsed->scheme() != "http") throw std::runtime_error("--url must be http://host:port");
    host_ = parsed->host();
    port_ = parsed->has_port() ? std::string(parsed->port()) : "80";
  }

  /// The status and JSON body of one call.
  std::pair<unsigned, json::value> call(http::verb method, const std::string& target, std::string body = {},
                                        std::string content_type = "application/json") {
    for (int attempt = 0; attempt < 2; ++attempt) {
      try {
        if (!stream_) connect();
        http::request<http::string_body> request{method, target, 11};
        request.set(http::field::host, host_);
        if (!api_key_.empty()) request.set(http::field::authorization, "Bearer " + api_key_);
        if (!body.empty() || method == http::verb::post) {
          request.set(http::field::content_type, content_type);
          request.body() = body;
          request.prepare_payload();
        }
        http::write(*stream_, request);
        http::response_parser<http::string_body> parser;
        parser.body_limit(256 * 1024 * 1024);
        http::read(*stream_, buffer_, parser);
        auto response = parser.release();
        if (!response.keep_alive()) stream_.reset();
        json::value value = response.body().empty() ? json::value(nullptr) : json::parse(response.body());
        return {response.result_int(), std::move(value)};
      } catch (const boost::system::system_error&) {
        stream_.reset();  // the server closed an idle connection: reconnect once
        if (attempt == 1) throw;
      }
    }
    throw std::logic_error("unreachable");
  }

 private:
  void connect() {
    asio::ip::tcp::resolver resolver(io_);
    stream_.emplace(io_);
    stream_->connect(resolver.resolve(host_, port_));
    buffer_.clear();
  }

  asio::io_context io_;
  std::string host_, port_, api_key_;
  std::optional<beast::tcp_stream> stream_;
  beast::flat_buffer buffer_;
};

json::value expect(std::pair<unsigned, json::value> answer, unsigned status, const std::string& what) {
  if (answer.first != status)
    throw std::runtime_error(what + ": HTTP " + std::to_string(answer.first) + " " + core::json_text(answer.second));
  return std::move(answer.second);
}

double seconds_since(Clock::time_point start) { return std::chrono::duration<double>(Clock::now() - start).count(); }

std::int64_t load(Connection& server, const rag::BeirSet& set, const EvalOptions& options) {
  auto name = std::filesystem::path(options.beir).filename().string();
  if (name.empty()) name = std::filesystem::path(options.beir).parent_path().filename().string();
  auto created = expect(server.call(http::verb::post, "/datasets", core::json_text(json::object{{"name", name}})), 201,
                        "create dataset");
  auto id = created.at("id").as_int64();
  auto target = "/datasets/" + std::to_string(id);
  auto start = Clock::now();
  std::ifstream corpus(set.corpus);
  std::string line, batch;
  std::size_t documents = 0;
  auto flush = [&] {
    if (batch.empty()) return;
    auto answer = server.call(http::verb::post, target + "/documents", batch, "application/x-ndjson");
    if (answer.first != 201 && answer.first != 200)
      throw std::runtime_error("upload: HTTP " + std::to_string(answer.first) + " " + core::json_text(answer.second));
    batch.clear();
  };
  while (std::getline(corpus, line)) {
    if (line.empty()) continue;
    batch += line;
    batch += '\n';
    ++documents;
    if (batch.size() >= options.upload_batch_bytes) flush();
  }
  flush();
  auto uploaded = seconds_since(start);
  auto job = expect(server.call(http::verb::post, target + "/process"), 202, "process").at("job_id");
  auto job_target = "/jobs/" + std::string(job.as_string());
  json::value state;
  while (true) {
    state = expect(server.call(http::verb::get, job_target), 200, "job");
    auto s = state.at("state").as_string();
    if (s == "succeeded" || s == "failed" || s == "cancelled") break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  if (state.at("state") != "succeeded") throw std::runtime_error("processing failed: " + core::json_text(state));
  auto total = seconds_since(start);
  auto chunks = state.at("result").at("chunks").to_number<double>();
  std::printf("dataset %lld: %zu documents uploaded in %.2f s; processed (%.0f chunks) by %.2f s: %.0f documents/s, "
              "%.0f chunks/s\n",
              static_cast<long long>(id), documents, uploaded, chunks, total, static_cast<double>(documents) / total,
              chunks / total);
  return id;
}

void evaluate(Connection& server, std::int64_t id, const rag::BeirSet& set, const std::string& mode,
              const std::string& fusion, std::optional<double> vector_weight) {
  double ndcg = 0, recall = 0, mrr = 0;
  std::vector<double> latencies;
  auto target = "/datasets/" + std::to_string(id) + "/search";
  auto start = Clock::now();
  for (const auto& query : set.queries) {
    json::object body{{"query", query.text}, {"k", 100}, {"mode", mode}, {"group_by_document", true}};
    if (mode == "hybrid") body["fusion"] = fusion;
    if (mode == "hybrid" && vector_weight) body["vector_weight"] = *vector_weight;
    auto sent = Clock::now();
    auto answer = expect(server.call(http::verb::post, target, core::json_text(body)), 200, "search");
    latencies.push_back(seconds_since(sent) * 1000);
    std::vector<std::string> ranked;
    for (const auto& hit : answer.at("results").as_array()) ranked.emplace_back(hit.at("document_id").as_string());
    const auto& relevant = set.judgements.at(query.id);
    ndcg += rag::ndcg_at(ranked, relevant, 10);
    recall += rag::recall_at(ranked, relevant, 100);
    mrr += rag::mrr_at(ranked, relevant, 10);
  }
  auto elapsed = seconds_since(start);
  std::sort(latencies.begin(), latencies.end());
  auto n = static_cast<double>(set.queries.size());
  auto percentile = [&](double p) { return latencies[std::min(latencies.size() - 1, static_cast<std::size_t>(p * n))]; };
  std::printf("%-8s %-6s nDCG@10 %.4f  Recall@100 %.4f  MRR@10 %.4f  | %zu queries in %.2f s, p50 %.2f ms, p99 %.2f ms\n",
              mode.c_str(), mode == "hybrid" ? fusion.c_str() : "-", ndcg / n, recall / n, mrr / n,
              set.queries.size(), elapsed, percentile(0.5), percentile(0.99));
  std::fflush(stdout);
}

}  // namespace

void add_eval_flags(CLI::App& command, EvalOptions& o) {
  command.add_option("--url", o.url, "The running server")->capture_default_str();
  command.add_option("--beir", o.beir, "A BEIR folder: corpus.jsonl, queries.jsonl, qrels/<split>.tsv")->required();
  command.add_option("--split", o.split, "qrels split (default: test, else train)");
  command.add_option("--mode", o.modes, "keyword, vector and/or hybrid (default: all three)")->delimiter(',');
  command.add_option("--fusion", o.fusion, "hybrid's fusion: rrf or score")->capture_default_str();
  command.add_option("--vector-weight", o.vector_weight, "hybrid's vector weight (keyword: 1); default: the server's");
  command.add_option("--api-key", o.api_key, "Bearer key for the server")->envname("SLUICE_API_KEY");
  command.add_option("--dataset", o.dataset, "Search this loaded dataset instead of loading the corpus");
}

int run_eval(const EvalOptions& options) {
  try {
    auto set = rag::read_beir(options.beir, options.split);
    std::printf("%s: %zu judged queries\n", options.beir.c_str(), set.queries.size());
    Connection server(options.url, options.api_key);
    auto id = options.dataset > 0 ? options.dataset : load(server, set, options);
    for (const auto& mode : options.modes) {
      if (mode == "hybrid" && options.fusion == "both") {
        evaluate(server, id, set, mode, "rrf", options.vector_weight);
        evaluate(server, id, set, mode, "score", options.vector_weight);
      } else {
        evaluate(server, id, set, mode, options.fusion, options.vector_weight);
      }
    }
    return 0;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "sluice eval: %s\n", e.what());
    return 1;
  }
}

}  // namespace sluice::server
