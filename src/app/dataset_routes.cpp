#include "dataset_routes.hpp"

#include "access.hpp"
#include "document_upload.hpp"

#include "sluice/ai/generator.hpp"
#include "sluice/http/sse.hpp"

#include <boost/describe/class.hpp>
#include <boost/describe/enum.hpp>
#include <boost/json/serialize.hpp>

#include <mutex>

namespace sluice::app {

namespace asio = boost::asio;
namespace json = boost::json;
using namespace api;
using http::Request;
using http::Response;

enum class RetrievalMode { hybrid, vector, keyword };
BOOST_DESCRIBE_ENUM(RetrievalMode, hybrid, vector, keyword)
enum class FusionMethod { rrf, score };
BOOST_DESCRIBE_ENUM(FusionMethod, rrf, score)

struct CreateDataset {
  Field<std::string, MinLength<1>, MaxLength<200>> name;
  Field<std::size_t, Ge<16u>, Le<8192u>, WithDefault> chunk_size = 256u;
  Field<std::size_t, Ge<0u>, Le<4096u>, WithDefault> chunk_overlap = 32u;
  std::optional<std::string> embedding_model;
};
BOOST_DESCRIBE_STRUCT(CreateDataset, (), (name, chunk_size, chunk_overlap, embedding_model))

struct DatasetInfo {
  std::int64_t id = 0;
  std::string name;
  std::size_t chunk_size = 0;
  std::size_t chunk_overlap = 0;
  std::string embedding_model;
  std::int64_t created_at_ms = 0;
  std::int64_t documents = 0;
  std::int64_t chunks = 0;
  std::int64_t indexed_chunks = 0;
  std::int64_t pending_documents = 0;
  json::value last_job = nullptr;  // the job object, or null
};
BOOST_DESCRIBE_STRUCT(DatasetInfo, (),
                      (id, name, chunk_size, chunk_overlap, embedding_model, created_at_ms, documents, chunks,
                       indexed_chunks, pending_documents, last_job))

struct DatasetList {
  std::vector<DatasetInfo> datasets;
};
BOOST_DESCRIBE_STRUCT(DatasetList, (), (datasets))

struct UploadCounts {
  std::size_t added = 0, updated = 0, unchanged = 0;
};
BOOST_DESCRIBE_STRUCT(UploadCounts, (), (added, updated, unchanged))

struct ProcessingStarted {
  std::string status;
  std::string job_id;
};
BOOST_DESCRIBE_STRUCT(ProcessingStarted, (), (status, job_id))

struct SearchBody {
  Field<std::string, MinLength<1>, MaxLength<8192>> query;
  Field<std::size_t, Ge<1u>, Le<100u>, WithDefault> k = 10u;
  Field<RetrievalMode, WithDefault> mode = RetrievalMode::hybrid;
  Field<bool, WithDefault> group_by_document = false;
  std::optional<json::value> filter;  // metadata key → string, number or boolean
  Field<FusionMethod, WithDefault> fusion = FusionMethod::score;
  std::optional<double> vector_weight;  // 0–10, the keyword ranking's weight being 1; unset: the server's
};
BOOST_DESCRIBE_STRUCT(SearchBody, (), (query, k, mode, group_by_document, filter, fusion, vector_weight))

struct SearchResult {
  std::string document_id;
  std::int64_t chunk_id = 0;
  double score = 0;
  std::string title;
  std::string text;
  json::value metadata;
  std::size_t start = 0;  // the chunk's characters in its document: [start, end)
  std::size_t end = 0;
};
BOOST_DESCRIBE_STRUCT(SearchResult, (), (document_id, chunk_id, score, title, text, metadata, start, end))

struct SearchResults {
  std::vector<SearchResult> results;
};
BOOST_DESCRIBE_STRUCT(SearchResults, (), (results))

struct AnswerBody {
  Field<std::string, MinLength<1>, MaxLength<8192>> question;
  Field<std::size_t, Ge<1u>, Le<20u>, WithDefault> k = 5u;
  Field<bool, WithDefault> stream = false;
  Field<RetrievalMode, WithDefault> mode = RetrievalMode::hybrid;
};
BOOST_DESCRIBE_STRUCT(AnswerBody, (), (question, k, stream, mode))

namespace {

using DatasetId = Path<"dataset_id", Field<std::int64_t, Ge<std::int64_t{1}>>>;

core::Error dataset_not_found() { return {404, "not_found", "Dataset not found", nullptr}; }

/// The dataset if the caller may see it; 404 alike for missing and foreign ones.
asio::awaitable<core::Result<rag::Dataset>> visible(std::int64_t id, rag::Datasets& datasets,
                                                    const Access& access, Request& request) {
  auto dataset = co_await request.compute([&] { return datasets.store().dataset(id); });
  if (!dataset || !access.may_see(request, *dataset)) co_return dataset_not_found();
  co_return std::move(*dataset);
}

DatasetInfo info_of(const rag::Dataset& d, const rag::DatasetCounts& counts, json::value last_job) {
  return DatasetInfo{.id = d.id,
                     .name = d.name,
                     .chunk_size = d.chunk_size,
                     .chunk_overlap = d.chunk_overlap,
                     .embedding_model = d.embedding_model,
                     .created_at_ms = d.created_at_ms,
                     .documents = counts.documents,
                     .chunks = counts.chunks,
                     .indexed_chunks = counts.indexed_chunks,
                     .pending_documents = counts.pending_documents,
                     .last_job = std::move(last_job)};
}

asio::awaitable<DatasetInfo> describe(const rag::Dataset& dataset, rag::Datasets& datasets, JobService& jobs,
                                      Request& request) {
  auto counts = co_await request.compute([&] { return datasets.store().counts(dataset.id); });
  json::value last_job = nullptr;
  if (!dataset.last_job_id.empty()) {
    auto job = co_await jobs.queue().find(dataset.last_job_id);
    if (job) last_job = job->to_json();
  }
  co_return info_of(dataset, counts, std::move(last_job));
}

asio::awaitable<core::Result<DatasetInfo>> create_dataset(Body<CreateDataset> body, Depends<rag::Datasets> datasets,
                                                          Depends<Access> access, Request& request) {
  const auto& spec = body.value;
  auto model = spec.embedding_model.value_or("");
  if (!model.empty() && model != datasets->embedder().model())
    co_return core::validation_error({{"enum", {"body", "embedding_model"},
                                       "This server embeds with '" + datasets->embedder().model() + "'",
                                       json::string(model)}});
  if (*spec.chunk_overlap >= *spec.chunk_size)
    co_return core::validation_error({{"less_than", {"body", "chunk_overlap"},
                                       "chunk_overlap must be smaller than chunk_size",
                                       static_cast<std::uint64_t>(*spec.chunk_overlap)}});
  rag::DatasetSpec dataset_spec{.name = *spec.name,
                                .chunk_size = *spec.chunk_size,
                                .chunk_overlap = *spec.chunk_overlap,
                                .embedding_model = model,
                                .owner = access->owner(request)};
  auto dataset = co_await request.compute([&] { return datasets->create(dataset_spec); });
  co_return info_of(dataset, {}, nullptr);
}

asio::awaitable<DatasetList> list_datasets(Depends<rag::Datasets> datasets, Depends<Access> access,
                                           Depends<JobService> jobs, Request& request) {
  std::optional<std::string> owner;
  if (!access->sees_all(request)) owner = access->owner(request);
  auto list = co_await request.compute([&] { return datasets->store().datasets(owner ? &*owner : nullptr); });
  DatasetList out;
  for (const auto& dataset : list) {
    auto described = co_await describe(dataset, *datasets, *jobs, request);
    out.datasets.push_back(std::move(described));
  }
  co_return out;
}

asio::awaitable<core::Result<DatasetInfo>> get_dataset(DatasetId id, Depends<rag::Datasets> datasets,
                                                       Depends<Access> access, Depends<JobService> jobs,
                                                       Request& request) {
  auto dataset = co_await visible(**id, *datasets, *access, request);
  if (!dataset) co_return dataset.error();
  auto described = co_await describe(*dataset, *datasets, *jobs, request);
  co_return described;
}

asio::awaitable<Response> delete_dataset(DatasetId id, Depends<rag::Datasets> datasets, Depends<Access> access,
                                         Request& request) {
  auto dataset = co_await visible(**id, *datasets, *access, request);
  if (!dataset) co_return Response::error(dataset.error());
  co_await request.compute([&] { return datasets->remove(**id); });
  co_return Response::json({{"id", **id}, {"deleted", true}});
}

/// What of a JSON or NDJSON upload is parsed and stored at a time: 1,000 documents, fewer when
/// they are large (a slice's texts stop at 4 MiB), so a slice stays small whatever the documents.
constexpr SliceLimit kUploadSlice{.documents = 1000, .bytes = 4u << 20};

/// The body is read by content type here, not bound as a JSON model: it may be NDJSON or text.
asio::awaitable<Response> upload_documents(DatasetId dataset_id, Query<"id", std::string, Name("")> document_id,
                                           Query<"title", std::string, Name("")> title,
                                           Depends<rag::Datasets> datasets, Depends<Access> access,
                                           Request& request) {
  auto id = **dataset_id;
  auto dataset = co_await visible(id, *datasets, *access, request);
  if (!dataset) co_return Response::error(dataset.error());
  SingleDocument single{.id = *document_id, .title = *title};
  auto content_type = std::string(request.header("Content-Type").value_or("application/json"));
  // Result has no empty state, which the compute pool's hand-back needs: parse into a local.
  std::optional<core::Result<std::vector<rag::DocumentInput>>> parsed;
  rag::UpsertResult result;
  if (document_stream(content_type, request.body())) {
    // Checked whole first, so that a bad document stores nothing; then stored a slice at a
    // time, so that the documents of a large upload are never all in memory at once.
    co_await request.compute([&] {
      auto check = document_stream(content_type, request.body());
      do parsed.emplace(check->next(kUploadSlice));
      while (*parsed && !(*parsed)->empty());
      return true;
    });
    if (!*parsed) co_return Response::error(parsed->error());
    result = co_await request.compute([&] {
      rag::UpsertResult total;
      auto documents = document_stream(content_type, request.body());
      for (auto slice = documents->next(kUploadSlice); slice && !slice->empty(); slice = documents->next(kUploadSlice)) {
        auto stored = datasets->upload(id, *slice);
        total.added += stored.added;
        total.updated += stored.updated;
        total.unchanged += stored.unchanged;
      }
      return total;
    });
  } else {
    co_await request.compute([&] {
      parsed.emplace(parse_documents(content_type, request.body(), single));
      return true;
    });
    if (!*parsed) co_return Response::error(parsed->error());
    result = co_await request.compute([&] { return datasets->upload(id, **parsed); });
  }
  co_return Response::json(
      {{"added", result.added}, {"updated", result.updated}, {"unchanged", result.unchanged}},
      result.added > 0 ? http::Status::created : http::Status::ok);
}

json::object document_json(const rag::Document& d, bool with_text) {
  json::object o{{"id", d.id},
                 {"title", d.title},
                 {"metadata", d.metadata},
                 {"content_hash", d.content_hash},
                 {"pending", d.is_pending},
                 {"chunks", d.chunks}};
  if (with_text) o["text"] = d.text;
  return o;
}

asio::awaitable<Response> list_documents(DatasetId id,
                                         Query<"limit", Field<std::size_t, Ge<1u>, Le<1000u>>, 100u> limit,
                                         Query<"offset", std::size_t, 0u> offset, Depends<rag::Datasets> datasets,
                                         Depends<Access> access, Request& request) {
  auto dataset = co_await visible(**id, *datasets, *access, request);
  if (!dataset) co_return Response::error(dataset.error());
  auto list = co_await request.compute([&] { return datasets->store().documents(**id, **limit, *offset); });
  json::array items;
  for (const auto& d : list) items.push_back(document_json(d, false));
  co_return Response::json({{"documents", std::move(items)}, {"limit", **limit}, {"offset", *offset}});
}

asio::awaitable<Response> get_document(DatasetId id, Path<"document_id", std::string> document_id,
                                       Depends<rag::Datasets> datasets, Depends<Access> access,
                                       Request& request) {
  auto dataset = co_await visible(**id, *datasets, *access, request);
  if (!dataset) co_return Response::error(dataset.error());
  auto document = co_await request.compute([&] { return datasets->store().document(**id, *document_id); });
  if (!document) co_return Response::error({404, "not_found", "Document not found", nullptr});
  co_return Response::json(document_json(*document, true));
}

asio::awaitable<Response> delete_document(DatasetId id, Path<"document_id", std::string> document_id,
                                          Depends<rag::Datasets> datasets, Depends<Access> access,
                                          Request& request) {
  auto dataset = co_await visible(**id, *datasets, *access, request);
  if (!dataset) co_return Response::error(dataset.error());
  bool existed = co_await request.compute([&] { return datasets->delete_document(**id, *document_id); });
  if (!existed) co_return Response::error({404, "not_found", "Document not found", nullptr});
  co_return Response::json({{"id", *document_id}, {"deleted", true}});
}

/// Serialises "is a job running for this dataset? else enqueue one" across requests.
std::mutex process_mutex;

asio::awaitable<core::Result<ProcessingStarted>> process_dataset(
    DatasetId id, Header<"Idempotency-Key", std::optional<std::string>> idempotency_key,
    Depends<rag::Datasets> datasets, Depends<Access> access, Depends<JobService> jobs, Request& request) {
  auto dataset = co_await visible(**id, *datasets, *access, request);
  if (!dataset) co_return dataset.error();
  auto options = jobs->defaults();
  options.idempotency_key = idempotency_key->value_or("");
  options.owner = dataset->owner;  // the dataset's, so its owner sees the job whoever started it
  auto dataset_id = **id;
  // One check-then-enqueue at a time, off the IO thread (blocking store calls under a mutex).
  auto job = co_await request.compute([&] {
    std::lock_guard lock(process_mutex);
    auto current = datasets->store().dataset(dataset_id);
    if (current && !current->last_job_id.empty()) {
      auto running = jobs->queue().store().get(current->last_job_id);
      if (running && !jobs::is_terminal(running->state)) return *running;  // a second call joins it
    }
    auto queued = jobs->queue().enqueue("build_embeddings", json::value{{"dataset_id", dataset_id}}, options);
    datasets->store().set_last_job(dataset_id, queued.id);
    return queued;
  });
  co_return ProcessingStarted{"processing started", job.id};
}

core::Result<rag::SearchRequest> search_request(const SearchBody& body) {
  rag::SearchRequest out{.query = *body.query,
                         .k = *body.k,
                         .mode = static_cast<rag::SearchMode>(*body.mode),
                         .group_by_document = *body.group_by_document,
                         .filter = {},
                         .fusion = *body.fusion == FusionMethod::rrf ? rag::Fusion::reciprocal_rank
                                                                     : rag::Fusion::normalised_scores,
                         .vector_weight = body.vector_weight};
  if (body.vector_weight && !(*body.vector_weight >= 0.0 && *body.vector_weight <= 10.0))
    return core::validation_error({{"less_than_equal", {"body", "vector_weight"},
                                    "vector_weight should be between 0 and 10", json::value(*body.vector_weight)}});
  if (body.filter && !body.filter->is_null()) {
    if (!body.filter->is_object())
      return core::validation_error({{"dict_type", {"body", "filter"}, "Input should be an object", *body.filter}});
    for (const auto& [key, value] : body.filter->as_object())
      if (!(value.is_string() || value.is_number() || value.is_bool()))
        return core::validation_error({{"filter_value", {"body", "filter", key},
                                        "A filter value should be a string, number or boolean", value}});
    out.filter = body.filter->as_object();
  }
  return out;
}

/// Embeds the query (unless keyword-only) and searches on the compute pool.
asio::awaitable<core::Result<std::vector<rag::SearchHit>>> run_search(const rag::Dataset& dataset,
                                                                      rag::SearchRequest search,
                                                                      rag::Datasets& datasets,
                                                                      ai::Embedder& embedder, Request& request) {
  std::optional<std::vector<float>> vector;
  if (search.mode != rag::SearchMode::keyword) {
    if (!datasets.has_vectors(dataset)) {
      if (search.mode == rag::SearchMode::vector)
        co_return core::Error{409, "embedding_model_mismatch",
                              "The dataset was embedded with '" + dataset.embedding_model + "', this server embeds with '" +
                                  embedder.model() + "'",
                              nullptr};
      search.mode = rag::SearchMode::keyword;  // hybrid degrades to what is there
    } else {
      std::vector<std::string> texts{search.query};
      auto embedded = co_await embedder.embed(std::move(texts));
      if (!embedded) co_return embedded.error();
      vector = std::move(embedded->vectors.at(0));
    }
  }
  auto id = dataset.id;
  auto hits = co_await request.compute([&] { return datasets.search(id, search, vector ? &*vector : nullptr); });
  co_return hits;
}

asio::awaitable<core::Result<SearchResults>> search_dataset(DatasetId id, Body<SearchBody> body,
                                                            Depends<rag::Datasets> datasets,
                                                            Depends<Access> access,
                                                            Depends<ai::Embedder> embedder, Request& request) {
  auto dataset = co_await visible(**id, *datasets, *access, request);
  if (!dataset) co_return dataset.error();
  auto search = search_request(body.value);
  if (!search) co_return search.error();
  auto hits = co_await run_search(*dataset, std::move(*search), *datasets, *embedder, request);
  if (!hits) co_return hits.error();
  SearchResults out;
  for (auto& hit : *hits)
    out.results.push_back(SearchResult{.document_id = std::move(hit.chunk.document_id),
                                       .chunk_id = hit.chunk.id,
                                       .score = hit.score,
                                       .title = std::move(hit.chunk.title),
                                       .text = std::move(hit.chunk.text),
                                       .metadata = std::move(hit.chunk.metadata),
                                       .start = hit.chunk.start,
                                       .end = hit.chunk.end});
  co_return out;
}

/// The passages handed to the generator, numbered as their citations, within a token budget.
struct Grounding {
  std::string context;
  json::array citations;
};

Grounding ground(const std::vector<rag::SearchHit>& hits, const rag::Datasets& datasets) {
  // What the built-in and small local generators read comfortably; a remote model reads more,
  // but answers cite better from a few strong passages than from many weak ones.
  constexpr std::size_t kContextTokens = 1536;
  Grounding out;
  std::size_t used = 0;
  for (const auto& hit : hits) {
    auto tokens = datasets.count_tokens(hit.chunk.text);
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
    out.citations.push_back(json::object{{"index", number},
                                         {"document_id", hit.chunk.document_id},
                                         {"chunk_id", hit.chunk.id},
                                         {"title", hit.chunk.title},
                                         {"start", hit.chunk.start},
                                         {"end", hit.chunk.end},
                                         {"score", hit.score},
                                         {"text", hit.chunk.text}});
  }
  return out;
}

Response stream_answer(std::shared_ptr<ai::Generator> generator, ai::GenerationRequest generation,
                       json::array citations) {
  auto producer = [generator, generation = std::move(generation),
                   citations = std::move(citations)](http::StreamWriter& out) mutable -> asio::awaitable<void> {
    auto head = json::serialize(json::object{{"citations", std::move(citations)}});
    if (!co_await out.write(http::sse_event(head, "citations"))) co_return;
    bool is_connected = true;
    ai::PieceSink sink = [&](std::string piece) -> asio::awaitable<bool> {
      auto data = json::serialize(json::object{{"piece", std::move(piece)}});
      is_connected = co_await out.write(http::sse_event(data, "piece"));
      co_return is_connected;
    };
    auto result = co_await generator->generate(std::move(generation), sink);
    if (!is_connected) co_return;
    if (!result) {
      co_await out.write(http::sse_event(json::serialize(result.error().to_json()), "error"));
      co_return;
    }
    auto done = json::serialize(json::object{{"answer", result->text}, {"finish_reason", result->finish_reason}});
    co_await out.write(http::sse_event(done, "done"));
  };
  auto response = Response::stream("text/event-stream", std::move(producer));
  response.set_header("Cache-Control", "no-cache");
  return response;
}

asio::awaitable<Response> answer_question(DatasetId id, Body<AnswerBody> body, Depends<rag::Datasets> datasets,
                                          Depends<Access> access, Depends<ai::Embedder> embedder,
                                          Depends<ai::Generator> generator, Request& request) {
  auto dataset = co_await visible(**id, *datasets, *access, request);
  if (!dataset) co_return Response::error(dataset.error());
  rag::SearchRequest search{.query = *body->question,
                            .k = *body->k,
                            .mode = static_cast<rag::SearchMode>(*body->mode),
                            .group_by_document = false,
                            .filter = {}};
  auto hits = co_await run_search(*dataset, std::move(search), *datasets, *embedder, request);
  if (!hits) co_return Response::error(hits.error());
  auto grounding = ground(*hits, *datasets);
  ai::GenerationRequest generation;
  generation.prompt = *body->question;
  generation.context = std::move(grounding.context);
  if (*body->stream) co_return stream_answer(generator.value, std::move(generation), std::move(grounding.citations));
  auto result = co_await generator->generate(std::move(generation), {});
  if (!result) co_return Response::error(result.error());
  co_return Response::json({{"answer", result->text}, {"citations", std::move(grounding.citations)}});
}

/// GET /generate's context from one dataset.
class DatasetContextSource final : public ContextSource {
 public:
  DatasetContextSource(di::Container& services, core::ComputePool& compute, std::int64_t id)
      : services_(services), compute_(compute), id_(id) {}

  asio::awaitable<core::Result<std::string>> fetch(std::string query, std::string) override {
    auto datasets = services_.get<rag::Datasets>();
    auto embedder = services_.get<ai::Embedder>();
    auto id = id_;
    auto dataset = co_await compute_.run([&] { return datasets->store().dataset(id); });
    if (!dataset) co_return core::Error{502, "context_unavailable", "The context dataset does not exist", nullptr};
    rag::SearchRequest search{.query = std::move(query), .k = 3, .group_by_document = true};
    std::optional<std::vector<float>> vector;
    if (datasets->has_vectors(*dataset)) {
      std::vector<std::string> texts{search.query};
      auto embedded = co_await embedder->embed(std::move(texts));
      if (!embedded) co_return embedded.error();
      vector = std::move(embedded->vectors.at(0));
    } else {
      search.mode = rag::SearchMode::keyword;
    }
    auto hits = co_await compute_.run([&] { return datasets->search(id, search, vector ? &*vector : nullptr); });
    std::string context;
    for (const auto& hit : hits) context += hit.chunk.text + "\n";
    co_return context;
  }

 private:
  di::Container& services_;
  core::ComputePool& compute_;
  std::int64_t id_;
};

}  // namespace

void add_dataset_services(App& app, const ServeOptions& options, const std::shared_ptr<JobService>& jobs) {
  auto& services = app.services();
  auto directory = std::filesystem::path(options.jobs.data_dir) / "rag";
  const bool is_builtin_embedder = options.ai.provider_url.empty() && options.ai.local_embedding_models.empty();
  const double vector_weight = hybrid_vector_weight(options.rag, is_builtin_embedder);
  services.add_singleton<rag::Datasets>(
      std::function<std::shared_ptr<rag::Datasets>(di::Container&)>([directory, vector_weight](di::Container& c) {
        std::filesystem::create_directories(directory);
        auto store = rag::open_sqlite_dataset_store((directory / "rag.db").string());
        return std::make_shared<rag::Datasets>(
            rag::DatasetsOptions{.directory = directory, .vector_weight = vector_weight}, std::move(store),
            c.get<ai::Embedder>());
      }));
  // The handler finds the datasets through the container: it is built at start(), before any
  // worker runs a job.
  jobs->queue().handle("build_embeddings", [&services](jobs::JobContext& job) -> json::value {
    const auto& payload = job.payload().as_object();
    return services.get<rag::Datasets>()->build(payload.at("dataset_id").to_number<std::int64_t>(), job);
  });
  services.on_shutdown([&services] { services.get<rag::Datasets>()->save_all(); });
}

std::shared_ptr<ContextSource> dataset_context(App& app, std::int64_t dataset_id) {
  return std::make_shared<DatasetContextSource>(app.services(), app.compute(), dataset_id);
}

std::function<std::uint64_t(http::Verb, std::string_view)> dataset_body_limits(const ServeOptions& options) {
  auto general = options.server.body_limit;
  auto upload = std::max(options.rag.upload_limit, general);
  return [general, upload](http::Verb method, std::string_view target) {
    if (method != http::Verb::post) return general;
    auto path = target.substr(0, target.find('?'));
    // /datasets/{dataset_id}/documents
    constexpr std::string_view kPrefix = "/datasets/", kSuffix = "/documents";
    if (path.size() > kPrefix.size() + kSuffix.size() && path.starts_with(kPrefix) && path.ends_with(kSuffix) &&
        path.substr(kPrefix.size(), path.size() - kPrefix.size() - kSuffix.size()).find('/') == std::string_view::npos)
      return upload;
    return general;
  };
}

void add_dataset_routes(App& app) {
  const std::vector<std::string> tags{"datasets"};
  app.post("/datasets", create_dataset,
           {.summary = "Create a dataset",
            .description = "chunk_size and chunk_overlap are in the embedder's tokens. The dataset belongs to the "
                           "API key that creates it (when keys are on).",
            .tags = tags,
            .status_code = 201,
            .response_description = "Dataset created"});
  app.get("/datasets", list_datasets, {.summary = "List datasets", .tags = tags});
  app.get("/datasets/{dataset_id}", get_dataset,
          {.summary = "Get a dataset", .description = "Counts of documents and chunks, and the last job.", .tags = tags});
  app.del("/datasets/{dataset_id}", delete_dataset,
          {.summary = "Delete a dataset", .description = "Removes its documents, chunks and index files.", .tags = tags});
  app.post("/datasets/{dataset_id}/documents", upload_documents,
           {.summary = "Upload documents",
            .description =
                "Body: `application/json` `{\"documents\":[{\"id\",\"title\"?,\"text\",\"metadata\"?}]}`, "
                "`application/x-ndjson` (one document a line; BEIR corpus lines `{\"_id\",\"title\",\"text\"}` "
                "as they are), or one `text/plain`, `text/markdown` or `text/html` document (`?id=` and `?title=`). "
                "Re-uploading an id replaces the document; an unchanged one is skipped. A malformed NDJSON line "
                "→ 422 naming the line, and nothing of the upload is stored. Answers "
                "`{\"added\",\"updated\",\"unchanged\"}` (201 when something was added). Its own body limit: "
                "--upload-limit.",
            .tags = tags});
  app.get("/datasets/{dataset_id}/documents", list_documents,
          {.summary = "List documents", .description = "In upload order, without their text.", .tags = tags});
  app.get("/datasets/{dataset_id}/documents/{document_id}", get_document, {.summary = "Get a document", .tags = tags});
  app.del("/datasets/{dataset_id}/documents/{document_id}", delete_document,
          {.summary = "Delete a document", .description = "Its chunks leave the indexes at once.", .tags = tags});
  app.post("/datasets/{dataset_id}/process", process_dataset,
           {.summary = "Process a dataset",
            .description = "Runs build_embeddings as a durable job: chunks pending documents, embeds chunks in "
                           "checkpointed batches, updates the indexes. While a job runs for the dataset, its id is "
                           "returned again. Follow it at /jobs/{job_id} or /jobs/{job_id}/events.",
            .tags = tags,
            .status_code = 202,
            .response_description = "Job accepted"});
  app.post("/datasets/{dataset_id}/search", search_dataset,
           {.summary = "Search a dataset",
            .description = "mode: keyword (BM25, English analyser), vector (HNSW, cosine) or hybrid (both, min-max "
                           "normalised scores summed with the vector list weighted by vector_weight; `fusion: rrf` "
                           "for weighted reciprocal-rank fusion). group_by_document keeps each "
                           "document's best chunk; filter keeps documents whose metadata equals every given value.",
            .tags = tags});
  app.post("/datasets/{dataset_id}/answer", answer_question,
           {.summary = "Answer from a dataset",
            .description = "Retrieves passages and answers from them with the configured generator, citing them. "
                           "`stream: true`: Server-Sent Events — `citations` first, then `piece` events, then "
                           "`done` with the whole answer (or `error`).",
            .tags = tags});
}

}  // namespace sluice::app
