// rag::routes: /{dataset_id}/search and /{dataset_id}/answer.

#include "route_models.hpp"

#include "sluice/ai/generator.hpp"
#include "sluice/core/json_text.hpp"
#include "sluice/http/sse.hpp"

namespace sluice::rag::detail {

namespace asio = boost::asio;
namespace json = boost::json;
using http::Request;
using http::Response;

namespace {

bool is_scalar(const json::value& v) { return v.is_string() || v.is_number() || v.is_bool(); }

/// What is wrong with the filter condition on `key`, if anything: a scalar (equal), or an object
/// of operators — $eq, $ne (scalars), $gt, $gte, $lt, $lte (numbers or strings), $in (up to
/// 1,000 scalars).
std::optional<core::FieldIssue> condition_issue(std::string_view key, const json::value& condition) {
  const json::array at{"body", "filter", json::string(key)};
  if (is_scalar(condition)) return std::nullopt;
  if (!condition.is_object() || condition.as_object().empty())
    return core::FieldIssue{"filter_value", at, "A filter value should be a string, number, boolean or an object of "
                                                "operators ($eq, $ne, $in, $gt, $gte, $lt, $lte)", condition};
  for (const auto& [op, operand] : condition.as_object()) {
    auto loc = at;
    loc.emplace_back(op);
    if (op == "$eq" || op == "$ne") {
      if (!is_scalar(operand)) return core::FieldIssue{"filter_value", loc, "Should be a string, number or boolean", operand};
    } else if (op == "$gt" || op == "$gte" || op == "$lt" || op == "$lte") {
      if (!operand.is_number() && !operand.is_string())
        return core::FieldIssue{"filter_value", loc, "A range bound should be a number or a string (an ISO 8601 date)",
                                operand};
    } else if (op == "$in") {
      if (!operand.is_array() || operand.as_array().size() > 1000)
        return core::FieldIssue{"filter_value", loc, "Should be an array of at most 1,000 values", operand};
      for (const auto& item : operand.as_array())
        if (!is_scalar(item)) return core::FieldIssue{"filter_value", loc, "Values should be strings, numbers or booleans", item};
    } else {
      return core::FieldIssue{"filter_operator", loc, "Unknown operator: use $eq, $ne, $in, $gt, $gte, $lt or $lte",
                              json::string(op)};
    }
  }
  return std::nullopt;
}

core::Result<SearchRequest> search_request(const SearchBody& body) {
  SearchRequest out{.query = *body.query,
                    .k = *body.k,
                    .mode = static_cast<SearchMode>(*body.mode),
                    .group_by_document = *body.group_by_document,
                    .filter = {},
                    .fusion = *body.fusion == FusionMethod::rrf ? Fusion::reciprocal_rank : Fusion::normalised_scores,
                    .vector_weight = body.vector_weight};
  if (body.vector_weight && !(*body.vector_weight >= 0.0 && *body.vector_weight <= 10.0))
    return core::validation_error({{"less_than_equal", {"body", "vector_weight"},
                                    "vector_weight should be between 0 and 10", json::value(*body.vector_weight)}});
  if (body.filter && !body.filter->is_null()) {
    if (!body.filter->is_object())
      return core::validation_error({{"dict_type", {"body", "filter"}, "Input should be an object", *body.filter}});
    for (const auto& [key, value] : body.filter->as_object())
      if (auto issue = condition_issue(key, value)) return core::validation_error({std::move(*issue)});
    out.filter = body.filter->as_object();
  }
  return out;
}

asio::awaitable<core::Result<SearchResults>> search_dataset(const RouteContext& context, DatasetId id,
                                                            Body<SearchBody> body, Depends<Datasets> datasets,
                                                            Request& request) {
  auto dataset = co_await visible(context, **id, *datasets, request);
  if (!dataset) co_return dataset.error();
  auto search = search_request(body.value);
  if (!search) co_return search.error();
  SearchResults out;
  auto hits = co_await datasets->retrieve(*dataset, std::move(*search), request.compute_pool(), &out.index_version);
  if (!hits) co_return hits.error();
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

Response stream_answer(std::shared_ptr<ai::Generator> generator, ai::GenerationRequest generation,
                       json::array citations) {
  auto producer = [generator, generation = std::move(generation),
                   citations = std::move(citations)](http::StreamWriter& out) mutable -> asio::awaitable<void> {
    auto head = core::json_text(json::object{{"citations", std::move(citations)}});
    if (!co_await out.write(http::sse_event(head, "citations"))) co_return;
    bool is_connected = true;
    ai::PieceSink sink = [&](std::string piece) -> asio::awaitable<bool> {
      auto data = core::json_text(json::object{{"piece", std::move(piece)}});
      is_connected = co_await out.write(http::sse_event(data, "piece"));
      co_return is_connected;
    };
    auto result = co_await generator->generate(std::move(generation), sink);
    if (!is_connected) co_return;
    if (!result) {
      co_await out.write(http::sse_event(core::json_text(result.error().to_json()), "error"));
      co_return;
    }
    auto done = core::json_text(json::object{{"answer", result->text}, {"finish_reason", result->finish_reason}});
    co_await out.write(http::sse_event(done, "done"));
  };
  auto response = Response::stream("text/event-stream", std::move(producer));
  response.set_header("Cache-Control", "no-cache");
  return response;
}

asio::awaitable<Response> answer_question(const RouteContext& context, DatasetId id, Body<AnswerBody> body,
                                          Depends<Datasets> datasets, Depends<ai::Generator> generator,
                                          Request& request) {
  auto dataset = co_await visible(context, **id, *datasets, request);
  if (!dataset) co_return Response::error(dataset.error());
  SearchRequest search{.query = *body->question,
                       .k = *body->k,
                       .mode = static_cast<SearchMode>(*body->mode),
                       .group_by_document = false,
                       .filter = {}};
  std::int64_t index_version = 0;
  auto hits = co_await datasets->retrieve(*dataset, std::move(search), request.compute_pool(), &index_version);
  if (!hits) co_return Response::error(hits.error());
  auto grounding = datasets->ground(*hits);
  ai::GenerationRequest generation;
  generation.prompt = *body->question;
  generation.context = std::move(grounding.context);
  if (*body->stream) co_return stream_answer(generator.value, std::move(generation), std::move(grounding.citations));
  auto result = co_await generator->generate(std::move(generation), {});
  if (!result) co_return Response::error(result.error());
  co_return Response::json(
      {{"answer", result->text}, {"citations", std::move(grounding.citations)}, {"index_version", index_version}});
}

}  // namespace

void add_search_routes(RouteGroup& group, const std::shared_ptr<const RouteContext>& context) {
  group.post(
      "/{dataset_id}/search",
      [context](DatasetId id, Body<SearchBody> body, Depends<Datasets> datasets, Request& request) {
        return search_dataset(*context, id, std::move(body), datasets, request);
      },
      {.summary = "Search a dataset",
       .description = "mode: keyword (BM25, English analyser), vector (HNSW, cosine) or hybrid (both, min-max "
                      "normalised scores summed with the vector list weighted by vector_weight; `fusion: rrf` "
                      "for weighted reciprocal-rank fusion). group_by_document keeps each "
                      "document's best chunk; filter keeps documents whose metadata meets every condition: "
                      "`{\"lang\": \"en\"}` (equal), or operators `$eq`, `$ne`, `$in`, `$gt`, `$gte`, `$lt`, `$lte` "
                      "(`{\"year\": {\"$gte\": 2020}}`, `{\"date\": {\"$lt\": \"2024-06-01\"}}`)."});
  group.post(
      "/{dataset_id}/answer",
      [context](DatasetId id, Body<AnswerBody> body, Depends<Datasets> datasets, Depends<ai::Generator> generator,
                Request& request) {
        return answer_question(*context, id, std::move(body), datasets, generator, request);
      },
      {.summary = "Answer from a dataset",
       .description = "Retrieves passages and answers from them with the configured generator, citing them. "
                      "`stream: true`: Server-Sent Events — `citations` first, then `piece` events, then "
                      "`done` with the whole answer (or `error`)."});
}

}  // namespace sluice::rag::detail
