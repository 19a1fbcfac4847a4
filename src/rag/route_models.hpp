#pragma once
// The request and response bodies of rag::routes (documented in /openapi.json), and what the
// handlers of routes.cpp and search_routes.cpp share.

#include "sluice/api/bind.hpp"
#include "sluice/api/constraints.hpp"
#include "sluice/api/model.hpp"
#include "sluice/api/params.hpp"
#include "sluice/rag/routes.hpp"

#include <boost/describe/class.hpp>
#include <boost/describe/enum.hpp>
#include <boost/json/value.hpp>

#include <optional>
#include <string>
#include <vector>

namespace sluice::rag::detail {

using namespace api;

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
  boost::json::value last_job = nullptr;  // the job object, or null
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
  std::optional<boost::json::value> filter;  // metadata key → string, number or boolean
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
  boost::json::value metadata;
  std::size_t start = 0;  // the chunk's characters in its document: [start, end)
  std::size_t end = 0;
};
BOOST_DESCRIBE_STRUCT(SearchResult, (), (document_id, chunk_id, score, title, text, metadata, start, end))

struct SearchResults {
  std::vector<SearchResult> results;
  /// The version of the node's index the results were ranked on (see Datasets::search): on
  /// several nodes, the dataset's change-log number it had applied.
  std::int64_t index_version = 0;
};
BOOST_DESCRIBE_STRUCT(SearchResults, (), (results, index_version))

struct AnswerBody {
  Field<std::string, MinLength<1>, MaxLength<8192>> question;
  Field<std::size_t, Ge<1u>, Le<20u>, WithDefault> k = 5u;
  Field<bool, WithDefault> stream = false;
  Field<RetrievalMode, WithDefault> mode = RetrievalMode::hybrid;
};
BOOST_DESCRIBE_STRUCT(AnswerBody, (), (question, k, stream, mode))

using DatasetId = Path<"dataset_id", Field<std::int64_t, Ge<std::int64_t{1}>>>;

/// What every handler of the group shares (the group's options).
struct RouteContext {
  RouteOptions options;
  /// The owner recorded for what `request` creates; empty without ownership.
  std::string owner(const http::Request& request) const {
    return options.ownership ? options.ownership->owner(request) : std::string();
  }
  bool sees_all(const http::Request& request) const {
    return !options.ownership || options.ownership->sees_all(request);
  }
};

/// The dataset if the caller may see it; 404 alike for missing and foreign ones.
boost::asio::awaitable<core::Result<Dataset>> visible(const RouteContext& context, std::int64_t id, Datasets& datasets,
                                                      http::Request& request);

/// Adds /{dataset_id}/search and /{dataset_id}/answer to `group` (search_routes.cpp).
void add_search_routes(RouteGroup& group, const std::shared_ptr<const RouteContext>& context);

}  // namespace sluice::rag::detail
