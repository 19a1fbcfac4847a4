// The Datasets methods the routes (and GET /generate's dataset context) call: retrieval with
// the query's embedding, an answer's grounding, and starting the indexing job once.

#include "sluice/rag/datasets.hpp"

#include <optional>

namespace sluice::rag {

namespace asio = boost::asio;
namespace json = boost::json;

asio::awaitable<core::Result<std::vector<SearchHit>>> Datasets::retrieve(const Dataset& dataset,
                                                                         SearchRequest request,
                                                                         core::ComputePool& compute,
                                                                         std::int64_t* index_version) {
  std::optional<std::vector<float>> vector;
  if (request.mode != SearchMode::keyword) {
    if (!has_vectors(dataset)) {
      if (request.mode == SearchMode::vector)
        co_return core::Error{409, "embedding_model_mismatch",
                              "The dataset was embedded with '" + dataset.embedding_model +
                                  "', this server embeds with '" + embedder_->model() + "'",
                              nullptr};
      request.mode = SearchMode::keyword;  // hybrid degrades to what is there
    } else {
      std::vector<std::string> texts{request.query};
      auto embedded = co_await embedder_->embed(std::move(texts));
      if (!embedded) co_return embedded.error();
      vector = std::move(embedded->vectors.at(0));
    }
  }
  auto id = dataset.id;
  auto hits = co_await compute.run([&] { return search(id, request, vector ? &*vector : nullptr, index_version); });
  co_return hits;
}

Grounding Datasets::ground(const std::vector<SearchHit>& hits) const {
  // What the built-in and small local generators read comfortably; a remote model reads more,
  // but answers cite better from a few strong passages than from many weak ones.
  constexpr std::size_t kContextTokens = 1536;
  Grounding out;
  std::size_t used = 0;
  for (const auto& hit : hits) {
    auto tokens = count_tokens(hit.chunk.text);
    if (used > 0 && used + tokens > kContextTokens) break;
    used += tokens;
    auto number = out.citations.size() + 1;
    // Appended piece by piece: GCC 12 warns (falsely) on the chain of operator+ here.
    out.context += '[';
    out.context += std::to_string(number);
    out.context += "] ";
    out.context += hit.chunk.title;
    out.context += '\n';
    out.context += hit.chunk.text;
    out.context += "\n\n";
    json::object citation{{"index", number},
                          {"document_id", hit.chunk.document_id},
                          {"chunk_id", hit.chunk.id},
                          {"title", hit.chunk.title},
                          {"start", hit.chunk.start},
                          {"end", hit.chunk.end},
                          {"score", hit.score},
                          {"text", hit.chunk.text}};
    // A passage of a PDF says where it is (search set its page from the document's page starts).
    for (const char* key : {"page", "page_end"})
      if (const auto* page = hit.chunk.metadata.if_contains(key)) citation[key] = *page;
    out.citations.push_back(std::move(citation));
  }
  return out;
}

jobs::Job Datasets::process(std::int64_t id, jobs::JobQueue& queue, jobs::EnqueueOptions options) {
  std::lock_guard lock(process_mutex_);
  auto current = store_->dataset(id);
  if (current && !current->last_job_id.empty()) {
    auto running = queue.store().get(current->last_job_id);
    if (running && !jobs::is_terminal(running->state)) return *running;  // a second call joins it
  }
  auto queued = queue.enqueue("build_embeddings", json::value{{"dataset_id", id}}, options);
  store_->set_last_job(id, queued.id);
  return queued;
}

}  // namespace sluice::rag
