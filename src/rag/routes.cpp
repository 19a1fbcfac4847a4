// rag::routes: datasets, their documents and processing (search and answers: search_routes.cpp).

#include "sluice/rag/routes.hpp"

#include "document_upload.hpp"
#include "file_upload.hpp"
#include "route_models.hpp"

namespace sluice::rag {

namespace asio = boost::asio;
namespace json = boost::json;
using namespace api;
using http::Request;
using http::Response;

namespace detail {

asio::awaitable<core::Result<Dataset>> visible(const RouteContext& context, std::int64_t id, Datasets& datasets,
                                               Request& request) {
  auto dataset = co_await request.compute([&] { return datasets.store().dataset(id); });
  if (!dataset || !(context.sees_all(request) || dataset->owner == context.owner(request)))
    co_return core::Error{404, "not_found", "Dataset not found", nullptr};
  co_return std::move(*dataset);
}

}  // namespace detail

namespace {

using namespace detail;

DatasetInfo info_of(const Dataset& d, const DatasetCounts& counts, json::value last_job) {
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

asio::awaitable<DatasetInfo> describe(const RouteContext& context, const Dataset& dataset, Datasets& datasets,
                                      Request& request) {
  auto counts = co_await request.compute([&] { return datasets.store().counts(dataset.id); });
  json::value last_job = nullptr;
  if (!dataset.last_job_id.empty() && context.options.queue) {
    auto job = co_await context.options.queue->find(dataset.last_job_id);
    if (job) last_job = job->to_json();
  }
  co_return info_of(dataset, counts, std::move(last_job));
}

asio::awaitable<core::Result<DatasetInfo>> create_dataset(const RouteContext& context, Body<CreateDataset> body,
                                                          Depends<Datasets> datasets, Request& request) {
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
  DatasetSpec dataset_spec{.name = *spec.name,
                           .chunk_size = *spec.chunk_size,
                           .chunk_overlap = *spec.chunk_overlap,
                           .embedding_model = model,
                           .owner = context.owner(request)};
  auto dataset = co_await request.compute([&] { return datasets->create(dataset_spec); });
  co_return info_of(dataset, {}, nullptr);
}

asio::awaitable<DatasetList> list_datasets(const RouteContext& context, Depends<Datasets> datasets,
                                           Request& request) {
  std::optional<std::string> owner;
  if (!context.sees_all(request)) owner = context.owner(request);
  auto list = co_await request.compute([&] { return datasets->store().datasets(owner ? &*owner : nullptr); });
  DatasetList out;
  for (const auto& dataset : list) {
    auto described = co_await describe(context, dataset, *datasets, request);
    out.datasets.push_back(std::move(described));
  }
  co_return out;
}

asio::awaitable<core::Result<DatasetInfo>> get_dataset(const RouteContext& context, DatasetId id,
                                                       Depends<Datasets> datasets, Request& request) {
  auto dataset = co_await visible(context, **id, *datasets, request);
  if (!dataset) co_return dataset.error();
  auto described = co_await describe(context, *dataset, *datasets, request);
  co_return described;
}

asio::awaitable<Response> delete_dataset(const RouteContext& context, DatasetId id, Depends<Datasets> datasets,
                                         Request& request) {
  auto dataset = co_await visible(context, **id, *datasets, request);
  if (!dataset) co_return Response::error(dataset.error());
  co_await request.compute([&] { return datasets->remove(**id); });
  co_return Response::json({{"id", **id}, {"deleted", true}});
}

/// What of a JSON or NDJSON upload is parsed and stored at a time: 1,000 documents, fewer when
/// they are large (a slice's texts stop at 4 MiB), so a slice stays small whatever the documents.
constexpr SliceLimit kUploadSlice{.documents = 1000, .bytes = 4u << 20};

/// Checked whole first, so that a bad document stores nothing; then stored a slice at a time,
/// so that the documents of a large upload are never all in memory at once. On a compute thread.
core::Result<UpsertResult> store_stream(Datasets& datasets, std::int64_t id, std::string_view content_type,
                                        std::string_view body) {
  auto check = document_stream(content_type, body);
  for (;;) {
    auto slice = check->next(kUploadSlice);
    if (!slice) return slice.error();
    if (slice->empty()) break;
  }
  UpsertResult total;
  auto documents = document_stream(content_type, body);
  for (auto slice = documents->next(kUploadSlice); slice && !slice->empty(); slice = documents->next(kUploadSlice)) {
    auto stored = datasets.upload(id, *slice);
    total.added += stored.added;
    total.updated += stored.updated;
    total.unchanged += stored.unchanged;
  }
  return total;
}

/// What an upload of files stored, and what the answer says of each file's document.
struct StoredFiles {
  UpsertResult total;
  json::array documents, warnings;
};

/// Every file is extracted before anything is stored, so that a bad file stores nothing. The
/// documents are kept for one store while their texts stay within a slice (4 MiB); past that
/// each file is extracted again and stored on its own, so that 100 MB of office files are
/// never all in memory as text. On a compute thread.
core::Result<StoredFiles> store_files(Datasets& datasets, std::int64_t id, const std::vector<UploadedFile>& files,
                                      const SingleDocument& single) {
  // ?id= and ?title= name the document of a one-file upload; with several, their file names do.
  auto single_for = files.size() == 1 ? single : SingleDocument{};
  StoredFiles out;
  std::vector<DocumentInput> kept;
  std::size_t bytes = 0;
  bool keeps_all = true;
  for (const auto& file : files) {
    auto parsed = documents_of(file, single_for);
    if (!parsed) return parsed.error();
    for (auto& warning : parsed->warnings) out.warnings.push_back(std::move(warning));
    for (auto& document : parsed->documents) {
      json::object described{{"id", document.id}, {"title", document.title}};
      if (const auto* pages = document.metadata.if_contains("pages")) described["pages"] = *pages;
      out.documents.push_back(std::move(described));
      bytes += document.text.size() + document.title.size();
      if (keeps_all && bytes <= kUploadSlice.bytes) kept.push_back(std::move(document));
    }
    if (bytes > kUploadSlice.bytes && keeps_all) {
      keeps_all = false;
      kept = {};
    }
  }
  auto add = [&](const UpsertResult& stored) {
    out.total.added += stored.added;
    out.total.updated += stored.updated;
    out.total.unchanged += stored.unchanged;
  };
  if (keeps_all) {
    add(datasets.upload(id, kept));
    return out;
  }
  for (const auto& file : files) {
    auto parsed = documents_of(file, single_for);  // read once already: the same bytes, the same answer
    if (!parsed) return parsed.error();
    add(datasets.upload(id, parsed->documents));
  }
  return out;
}

/// A raw PDF, DOCX, ODT or EPUB file, or multipart/form-data files: extracted on the compute pool.
/// `file_name`: a raw file's (its Content-Disposition's, else ?id=).
asio::awaitable<Response> upload_files(Datasets& datasets, std::int64_t id, const std::string& content_type,
                                       const std::string& file_name, const SingleDocument& single,
                                       Request& request) {
  std::optional<core::Result<StoredFiles>> stored;
  co_await request.compute([&] {
    auto files = uploaded_files(content_type, file_name, request.body());
    if (files) stored.emplace(store_files(datasets, id, *files, single));
    else stored.emplace(files.error());
    return true;
  });
  if (!*stored) co_return Response::error(stored->error());
  auto& result = **stored;
  json::object answer{{"added", result.total.added},
                      {"updated", result.total.updated},
                      {"unchanged", result.total.unchanged},
                      {"documents", std::move(result.documents)}};
  if (!result.warnings.empty()) answer["warnings"] = std::move(result.warnings);
  co_return Response::json(std::move(answer), result.total.added > 0 ? http::Status::created : http::Status::ok);
}

/// The body is read by content type here, not bound as a JSON model: it may be NDJSON or text.
asio::awaitable<Response> upload_documents(const RouteContext& context, DatasetId dataset_id,
                                           Query<"id", std::string, Name("")> document_id,
                                           Query<"title", std::string, Name("")> title, Depends<Datasets> datasets,
                                           Request& request) {
  auto id = **dataset_id;
  auto dataset = co_await visible(context, id, *datasets, request);
  if (!dataset) co_return Response::error(dataset.error());
  SingleDocument single{.id = *document_id, .title = *title};
  auto content_type = std::string(request.header("Content-Type").value_or("application/json"));
  auto file_name = disposition_file_name(request.header("Content-Disposition").value_or(""));
  if (file_name.empty()) file_name = single.id;
  if (is_file_upload(content_type, file_name)) {
    auto response = co_await upload_files(*datasets, id, content_type, file_name, single, request);
    co_return response;
  }
  // Result has no empty state, which the compute pool's hand-back needs: store into a local.
  std::optional<core::Result<UpsertResult>> stored;
  co_await request.compute([&] {
    if (document_stream(content_type, request.body())) {
      stored.emplace(store_stream(*datasets, id, content_type, request.body()));
    } else if (auto parsed = parse_documents(content_type, request.body(), single)) {
      stored.emplace(datasets->upload(id, *parsed));
    } else {
      stored.emplace(parsed.error());
    }
    return true;
  });
  if (!*stored) co_return Response::error(stored->error());
  const auto& result = **stored;
  co_return Response::json(
      {{"added", result.added}, {"updated", result.updated}, {"unchanged", result.unchanged}},
      result.added > 0 ? http::Status::created : http::Status::ok);
}

json::object document_json(const Document& d, bool with_text) {
  json::object o{{"id", d.id},
                 {"title", d.title},
                 {"metadata", d.metadata},
                 {"content_hash", d.content_hash},
                 {"pending", d.is_pending},
                 {"chunks", d.chunks}};
  if (with_text) o["text"] = d.text;
  return o;
}

asio::awaitable<Response> list_documents(const RouteContext& context, DatasetId id,
                                         Query<"limit", Field<std::size_t, Ge<1u>, Le<1000u>>, 100u> limit,
                                         Query<"offset", std::size_t, 0u> offset, Depends<Datasets> datasets,
                                         Request& request) {
  auto dataset = co_await visible(context, **id, *datasets, request);
  if (!dataset) co_return Response::error(dataset.error());
  auto list = co_await request.compute([&] { return datasets->store().documents(**id, **limit, *offset); });
  json::array items;
  for (const auto& d : list) items.push_back(document_json(d, false));
  co_return Response::json({{"documents", std::move(items)}, {"limit", **limit}, {"offset", *offset}});
}

asio::awaitable<Response> get_document(const RouteContext& context, DatasetId id,
                                       Path<"document_id", std::string> document_id, Depends<Datasets> datasets,
                                       Request& request) {
  auto dataset = co_await visible(context, **id, *datasets, request);
  if (!dataset) co_return Response::error(dataset.error());
  auto document = co_await request.compute([&] { return datasets->store().document(**id, *document_id); });
  if (!document) co_return Response::error({404, "not_found", "Document not found", nullptr});
  co_return Response::json(document_json(*document, true));
}

asio::awaitable<Response> delete_document(const RouteContext& context, DatasetId id,
                                          Path<"document_id", std::string> document_id, Depends<Datasets> datasets,
                                          Request& request) {
  auto dataset = co_await visible(context, **id, *datasets, request);
  if (!dataset) co_return Response::error(dataset.error());
  bool existed = co_await request.compute([&] { return datasets->delete_document(**id, *document_id); });
  if (!existed) co_return Response::error({404, "not_found", "Document not found", nullptr});
  co_return Response::json({{"id", *document_id}, {"deleted", true}});
}

asio::awaitable<core::Result<ProcessingStarted>> process_dataset(
    const RouteContext& context, DatasetId id, Header<"Idempotency-Key", std::optional<std::string>> idempotency_key,
    Depends<Datasets> datasets, Request& request) {
  auto dataset = co_await visible(context, **id, *datasets, request);
  if (!dataset) co_return dataset.error();
  if (!context.options.queue) co_return core::Error{503, "jobs_unavailable", "No job queue is configured", nullptr};
  auto options = context.options.job_defaults;
  options.idempotency_key = idempotency_key->value_or("");
  options.owner = dataset->owner;  // the dataset's, so its owner sees the job whoever started it
  auto job = co_await request.compute([&] { return datasets->process(**id, *context.options.queue, options); });
  co_return ProcessingStarted{"processing started", job.id};
}

/// The upload's content types, for /openapi.json (the body is read by type, not bound).
std::vector<std::pair<std::string, json::value>> upload_content() {
  json::value document = {{"type", "object"},
                          {"required", {"id", "text"}},
                          {"properties",
                           {{"id", {{"type", "string"}}},
                            {"title", {{"type", "string"}}},
                            {"text", {{"type", "string"}}},
                            {"metadata", {{"type", "object"}}}}}};
  json::value text = {{"type", "string"}};
  json::value file = {{"type", "string"}, {"format", "binary"}};
  return {{"application/json",
           {{"type", "object"}, {"required", {"documents"}}, {"properties", {{"documents", {{"type", "array"}, {"items", document}}}}}}},
          {"application/x-ndjson", text},
          {"text/plain", text},
          {"text/markdown", text},
          {"text/html", text},
          {"application/pdf", file},
          {"application/vnd.openxmlformats-officedocument.wordprocessingml.document", file},
          {"application/vnd.oasis.opendocument.text", file},
          {"application/epub+zip", file},
          {"multipart/form-data",
           {{"type", "object"},
            {"properties", {{"files", {{"type", "array"}, {"items", file}}}}}}}};
}

}  // namespace

api::RouteGroup routes(RouteOptions options) {
  auto context = std::make_shared<const RouteContext>(RouteContext{options});
  const auto& c = *context;
  api::RouteGroup group(options.group);
  group.post(
      "",
      [context](Body<CreateDataset> body, Depends<Datasets> datasets, Request& request) {
        return create_dataset(*context, std::move(body), std::move(datasets), request);
      },
      {.summary = "Create a dataset",
       .description = "chunk_size and chunk_overlap are in the embedder's tokens. The dataset belongs to the "
                      "API key that creates it (when keys are on).",
       .status_code = 201,
       .response_description = "Dataset created"});
  group.get(
      "", [context](Depends<Datasets> datasets, Request& request) { return list_datasets(*context, datasets, request); },
      {.summary = "List datasets"});
  group.get(
      "/{dataset_id}",
      [context](DatasetId id, Depends<Datasets> datasets, Request& request) {
        return get_dataset(*context, id, datasets, request);
      },
      {.summary = "Get a dataset", .description = "Counts of documents and chunks, and the last job."});
  group.del(
      "/{dataset_id}",
      [context](DatasetId id, Depends<Datasets> datasets, Request& request) {
        return delete_dataset(*context, id, datasets, request);
      },
      {.summary = "Delete a dataset", .description = "Removes its documents, chunks and index files."});
  group.post(
      "/{dataset_id}/documents",
      [context](DatasetId id, Query<"id", std::string, Name("")> document_id,
                Query<"title", std::string, Name("")> title, Depends<Datasets> datasets, Request& request) {
        return upload_documents(*context, id, std::move(document_id), std::move(title), datasets, request);
      },
      {.summary = "Upload documents",
       .description =
           "Body: `application/json` `{\"documents\":[{\"id\",\"title\"?,\"text\",\"metadata\"?}]}`, "
           "`application/x-ndjson` (one document a line; BEIR corpus lines `{\"_id\",\"title\",\"text\"}` "
           "as they are), or one `text/plain`, `text/markdown` or `text/html` document (`?id=` and `?title=`). "
           "Files: one raw PDF, DOCX, ODT or EPUB (its Content-Type, or for `application/octet-stream` the "
           "name in `Content-Disposition: attachment; filename=...` or `?id=`), or `multipart/form-data` with "
           "up to 1,000 files (any of these formats, and .txt, .md, .html, .json, .jsonl), each a document "
           "whose id is its file name. A PDF's metadata keeps its pages (`pages`, `page_starts`); pages with "
           "no text layer are listed in the answer's `warnings`, and a PDF with none → 422 `no_text_layer`. "
           "A file that cannot be read → 422 `document_unreadable`; one past a bound (2,000 pages, a zip "
           "member over 64 MiB decompressed, 64 MiB of text) → 413 `document_too_large`, naming the file. "
           "Re-uploading an id replaces the document; an unchanged one is skipped. A malformed NDJSON line "
           "→ 422 naming the line, and nothing of the upload is stored. Answers "
           "`{\"added\",\"updated\",\"unchanged\"}` (201 when something was added). Its own body limit: "
           "--upload-limit.",
       .body_limit = c.options.upload_limit,
       .request_content = upload_content()});
  group.get(
      "/{dataset_id}/documents",
      [context](DatasetId id, Query<"limit", Field<std::size_t, Ge<1u>, Le<1000u>>, 100u> limit,
                Query<"offset", std::size_t, 0u> offset, Depends<Datasets> datasets, Request& request) {
        return list_documents(*context, id, limit, offset, datasets, request);
      },
      {.summary = "List documents", .description = "In upload order, without their text."});
  group.get(
      "/{dataset_id}/documents/{document_id}",
      [context](DatasetId id, Path<"document_id", std::string> document_id, Depends<Datasets> datasets,
                Request& request) { return get_document(*context, id, std::move(document_id), datasets, request); },
      {.summary = "Get a document"});
  group.del(
      "/{dataset_id}/documents/{document_id}",
      [context](DatasetId id, Path<"document_id", std::string> document_id, Depends<Datasets> datasets,
                Request& request) { return delete_document(*context, id, std::move(document_id), datasets, request); },
      {.summary = "Delete a document", .description = "Its chunks leave the indexes at once."});
  group.post(
      "/{dataset_id}/process",
      [context](DatasetId id, Header<"Idempotency-Key", std::optional<std::string>> idempotency_key,
                Depends<Datasets> datasets, Request& request) {
        return process_dataset(*context, id, std::move(idempotency_key), datasets, request);
      },
      {.summary = "Process a dataset",
       .description = "Runs build_embeddings as a durable job: chunks pending documents, embeds chunks in "
                      "checkpointed batches, updates the indexes. While a job runs for the dataset, its id is "
                      "returned again. Follow it at /jobs/{job_id} or /jobs/{job_id}/events.",
       .status_code = 202,
       .response_description = "Job accepted"});
  add_search_routes(group, context);
  return group;
}

void handle_indexing_jobs(jobs::JobQueue& queue, std::function<std::shared_ptr<Datasets>()> datasets) {
  queue.handle("build_embeddings", [datasets = std::move(datasets)](jobs::JobContext& job) -> json::value {
    const auto& payload = job.payload().as_object();
    return datasets()->build(payload.at("dataset_id").to_number<std::int64_t>(), job);
  });
}

}  // namespace sluice::rag
