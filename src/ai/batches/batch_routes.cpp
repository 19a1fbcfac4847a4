// /v1/batches: create, retrieve, list, cancel — OpenAI's shapes and lifecycle. The work itself
// is the `openai_batch` durable job (batch_runner.cpp).

#include "batch_api.hpp"

#include "sluice/ai/openai.hpp"

#include <fmt/format.h>
#include <boost/json/parse.hpp>

#include <chrono>
#include <optional>
#include <variant>

namespace sluice::ai::batches {

namespace asio = boost::asio;
namespace json = boost::json;
using api::Depends;
using api::Path;
using api::Query;
using http::Request;
using http::Response;
using openai::error_response;

namespace {

constexpr std::int64_t kWindowSeconds = 24 * 3600;  // the only completion_window OpenAI offers

struct NewBatch {
  std::string input_file_id;
  std::string endpoint;
  json::value metadata = nullptr;
};

std::variant<NewBatch, core::Error> parse_new_batch(std::string_view body) {
  boost::system::error_code ec;
  auto value = json::parse(body, ec);
  if (ec || !value.is_object()) return bad_request("The body must be a JSON object");
  const auto& object = value.as_object();
  NewBatch batch;
  const auto* input = object.if_contains("input_file_id");
  if (!input || !input->is_string() || input->as_string().empty())
    return bad_request("Missing required parameter: 'input_file_id'", "input_file_id");
  batch.input_file_id = input->as_string();
  const auto* endpoint = object.if_contains("endpoint");
  if (!endpoint || !endpoint->is_string()) return bad_request("Missing required parameter: 'endpoint'", "endpoint");
  batch.endpoint = endpoint->as_string();
  if (batch.endpoint != "/v1/embeddings" && batch.endpoint != "/v1/chat/completions" &&
      batch.endpoint != "/v1/completions")
    return bad_request("'endpoint' must be /v1/embeddings, /v1/chat/completions or /v1/completions", "endpoint");
  const auto* window = object.if_contains("completion_window");
  if (!window || !window->is_string() || window->as_string() != "24h")
    return bad_request("'completion_window' must be \"24h\"", "completion_window");
  if (const auto* metadata = object.if_contains("metadata"); metadata && !metadata->is_null()) {
    if (!metadata->is_object() || metadata->as_object().size() > 16)
      return bad_request("'metadata' must be an object of at most 16 string values", "metadata");
    for (const auto& [key, item] : metadata->as_object())
      if (key.size() > 64 || !item.is_string() || item.as_string().size() > 512)
        return bad_request("'metadata' keys are at most 64 characters, values strings of at most 512", "metadata");
    batch.metadata = *metadata;
  }
  return batch;
}

json::object batch_object(const std::string& id, const NewBatch& request) {
  const auto now = openai::unix_now();
  return {{"id", id},
          {"object", "batch"},
          {"endpoint", request.endpoint},
          {"errors", nullptr},
          {"input_file_id", request.input_file_id},
          {"completion_window", "24h"},
          {"status", "validating"},
          {"output_file_id", nullptr},
          {"error_file_id", nullptr},
          {"created_at", now},
          {"in_progress_at", nullptr},
          {"expires_at", now + kWindowSeconds},
          {"finalizing_at", nullptr},
          {"completed_at", nullptr},
          {"failed_at", nullptr},
          {"expired_at", nullptr},
          {"cancelling_at", nullptr},
          {"cancelled_at", nullptr},
          {"request_counts", {{"total", 0}, {"completed", 0}, {"failed", 0}}},
          {"metadata", request.metadata}};
}

/// Records the batch and enqueues its job (on the disk pool: SQLite, maybe Redis).
std::variant<json::object, core::Error> start_batch(BatchApi& api, const std::string& owner, const NewBatch& request) {
  auto file = api.files().get(request.input_file_id, owner);
  if (!file) return no_such("File", request.input_file_id, "input_file_id");
  if (file->purpose != "batch")
    return bad_request(fmt::format("The file {} has purpose '{}', not 'batch'", file->id, file->purpose),
                       "input_file_id");
  auto id = BatchStore::new_id();
  auto batch = batch_object(id, request);
  api.batches().create(owner, batch);
  auto options = api.options().job_defaults;
  options.timeout = std::chrono::hours(25);  // the completion window, and then some
  options.idempotency_key = id;
  options.owner = owner;
  api.queue().enqueue(std::string(kBatchJobType), json::object{{"batch_id", id}}, options);
  return batch;
}

asio::awaitable<std::optional<StoredBatch>> find_batch(BatchApi& api, const Request& request, const std::string& id) {
  // Callables handed to run() capture by reference only (see file_routes.cpp).
  auto stored = co_await api.run([&] { return api.batches().get(id); });
  if (stored && stored->owner != api.owner(request)) stored.reset();  // someone else's: as if absent
  co_return stored;
}

asio::awaitable<Response> create_batch(Request& request, Depends<BatchApi> api) {
  auto parsed = parse_new_batch(request.body());
  if (auto* error = std::get_if<core::Error>(&parsed)) co_return error_response(*error);
  auto owner = api->owner(request);
  auto started = co_await api->run([&] { return start_batch(*api, owner, std::get<NewBatch>(parsed)); });
  if (auto* error = std::get_if<core::Error>(&started)) co_return error_response(*error);
  co_return Response::json(std::get<json::object>(started));
}

asio::awaitable<Response> retrieve_batch(Request& request, Path<"batch_id", std::string> batch_id,
                                         Depends<BatchApi> api) {
  auto stored = co_await find_batch(*api, request, *batch_id);
  if (!stored) co_return error_response(no_such("Batch", *batch_id, "batch_id"));
  co_return Response::json(stored->batch);
}

asio::awaitable<Response> list_batches(Request& request, Query<"after", std::optional<std::string>> after,
                                       Query<"limit", std::optional<std::int64_t>> limit, Depends<BatchApi> api) {
  const std::int64_t count = limit->value_or(20);
  if (count < 1 || count > 100) co_return error_response(bad_request("'limit' must be 1 to 100", "limit"));
  auto owner = api->owner(request);
  auto listing = co_await api->run(
      [&] { return api->batches().list(owner, after->value_or(""), static_cast<std::size_t>(count)); });
  json::array data;
  for (auto& batch : listing.batches) data.push_back(std::move(batch));
  json::object body{{"object", "list"}, {"has_more", listing.has_more}};
  body["first_id"] = data.empty() ? json::value(nullptr) : data.front().at("id");
  body["last_id"] = data.empty() ? json::value(nullptr) : data.back().at("id");
  body["data"] = std::move(data);
  co_return Response::json(body);
}

/// validating / in_progress → cancelling (the job finishes it as cancelled, keeping the results
/// it has); cancelling or cancelled again: unchanged; finished otherwise: 409.
asio::awaitable<Response> cancel_batch(Request& request, Path<"batch_id", std::string> batch_id,
                                       Depends<BatchApi> api) {
  auto stored = co_await find_batch(*api, request, *batch_id);
  if (!stored) co_return error_response(no_such("Batch", *batch_id, "batch_id"));
  auto updated = co_await api->run([&] {
    return api->batches().update(*batch_id, [](json::object& batch) {
      const auto& status = batch.at("status");
      if (status != "validating" && status != "in_progress") return;
      batch["status"] = "cancelling";
      batch["cancelling_at"] = openai::unix_now();
    });
  });
  if (!updated) co_return error_response(no_such("Batch", *batch_id, "batch_id"));
  const auto& status = updated->at("status");
  if (status != "cancelling" && status != "cancelled")
    co_return error_response(
        openai::invalid("", fmt::format("Cannot cancel a batch with status '{}'", std::string_view(status.as_string())),
                        "batch_not_cancellable", 409));
  co_return Response::json(*updated);
}

}  // namespace

void add_batch_routes(api::RouteGroup& group) {
  group.post("/batches", create_batch,
             {.summary = "Create a batch (OpenAI-compatible)",
              .description = "`input_file_id` (a JSONL file with purpose batch), `endpoint` (/v1/embeddings, "
                             "/v1/chat/completions, /v1/completions), `completion_window` \"24h\", `metadata`. Runs "
                             "as a durable job below interactive traffic."});
  group.get("/batches", list_batches,
            {.summary = "List batches (OpenAI-compatible)",
             .description = "Newest first; `after` continues from a batch id, `limit` 1–100 (default 20)."});
  group.get("/batches/{batch_id}", retrieve_batch, {.summary = "Retrieve a batch (OpenAI-compatible)"});
  group.post("/batches/{batch_id}/cancel", cancel_batch,
             {.summary = "Cancel a batch (OpenAI-compatible)",
              .description = "The batch goes to `cancelling`, then `cancelled` with the results it has so far."});
}

}  // namespace sluice::ai::batches
