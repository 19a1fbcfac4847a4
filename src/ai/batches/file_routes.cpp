// /v1/files: upload (multipart/form-data), list, retrieve, content, delete — OpenAI's shapes.

#include "batch_api.hpp"

#include "sluice/ai/openai.hpp"
#include "sluice/http/multipart.hpp"

#include <fmt/format.h>
#include <boost/json/array.hpp>
#include <boost/json/object.hpp>

#include <algorithm>
#include <array>
#include <istream>
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

constexpr std::array kUploadPurposes{"batch", "fine-tune", "assistants", "vision", "user_data", "evals"};
constexpr std::size_t kContentChunk = 256 * 1024;
constexpr std::int64_t kWholeContent = 4 * 1024 * 1024;  // smaller files go out in one piece, with a length
constexpr std::uint64_t kMultipartRoom = 64 * 1024;      // boundaries, part headers, the purpose field

/// Parses the upload and writes its file (on the disk pool: the body may be hundreds of MB).
std::variant<StoredFile, core::Error> store_upload(FileStore& files, std::string_view body, const std::string& boundary,
                                                   const std::string& owner, std::uint64_t limit) {
  auto parts = http::parse_multipart(body, boundary);
  if (!parts) return bad_request(parts.error().message);
  const http::MultipartPart* file = nullptr;
  std::string purpose;
  bool has_purpose = false;
  for (const auto& part : *parts) {
    if (part.name == "file" && !file) file = &part;
    if (part.name == "purpose" && !has_purpose) {
      purpose = std::string(part.data);
      has_purpose = true;
    }
  }
  if (!file) return bad_request("Missing required parameter: 'file'", "file");
  if (!has_purpose) return bad_request("Missing required parameter: 'purpose'", "purpose");
  if (std::find(kUploadPurposes.begin(), kUploadPurposes.end(), purpose) == kUploadPurposes.end())
    return bad_request(fmt::format("'{}' is not one of {}", purpose, fmt::join(kUploadPurposes, ", ")), "purpose");
  if (file->data.size() > limit)
    return openai::invalid("file", fmt::format("The file is larger than the limit of {} bytes", limit),
                           "file_too_large", 413);
  std::string filename = file->filename.value_or("upload");
  if (filename.empty() || filename.size() > 255) filename = "upload";
  return files.create(owner, std::move(purpose), std::move(filename), file->data);
}

asio::awaitable<Response> create_file(Request& request, Depends<BatchApi> api) {
  auto boundary = http::multipart_boundary(request.header("Content-Type").value_or(""));
  if (!boundary) co_return error_response(bad_request("Expected a multipart/form-data body with a boundary"));
  // Callables handed to run() capture by reference only: GCC 12 destroys a coroutine's copy of
  // a callable that owns memory twice. The captured locals live in this frame meanwhile.
  auto owner = api->owner(request);
  auto stored = co_await api->run(
      [&] { return store_upload(api->files(), request.body(), *boundary, owner, api->options().file_size_limit); });
  if (auto* error = std::get_if<core::Error>(&stored)) co_return error_response(*error);
  co_return Response::json(std::get<StoredFile>(stored).to_json());
}

asio::awaitable<Response> list_files(Request& request, Query<"purpose", std::optional<std::string>> purpose,
                                     Query<"limit", std::optional<std::int64_t>> limit,
                                     Query<"after", std::optional<std::string>> after, Depends<BatchApi> api) {
  const std::int64_t count = limit->value_or(10'000);
  if (count < 1 || count > 10'000) co_return error_response(bad_request("'limit' must be 1 to 10000", "limit"));
  auto owner = api->owner(request);
  auto listing = co_await api->run([&] {
    return api->files().list(owner, purpose->value_or(""), after->value_or(""), static_cast<std::size_t>(count));
  });
  json::array data;
  for (const auto& file : listing.files) data.push_back(file.to_json());
  json::object body{{"object", "list"}, {"data", std::move(data)}, {"has_more", listing.has_more}};
  body["first_id"] = listing.files.empty() ? json::value(nullptr) : json::value(listing.files.front().id);
  body["last_id"] = listing.files.empty() ? json::value(nullptr) : json::value(listing.files.back().id);
  co_return Response::json(body);
}

asio::awaitable<std::optional<StoredFile>> find_file(BatchApi& api, const Request& request, const std::string& id) {
  auto owner = api.owner(request);
  co_return co_await api.run([&] { return api.files().get(id, owner); });
}

asio::awaitable<Response> retrieve_file(Request& request, Path<"file_id", std::string> file_id, Depends<BatchApi> api) {
  auto file = co_await find_file(*api, request, *file_id);
  if (!file) co_return error_response(no_such("File", *file_id, "id"));
  co_return Response::json(file->to_json());
}

/// The bytes, read on the disk pool: small files at once, larger ones streamed in chunks (the
/// open file outlives a delete).
asio::awaitable<Response> file_content(Request& request, Path<"file_id", std::string> file_id, Depends<BatchApi> api) {
  auto file = co_await find_file(*api, request, *file_id);
  if (!file) co_return error_response(no_such("File", *file_id, "id"));
  // Opened on the disk pool (a stored file's first read may wait on the database).
  std::shared_ptr<std::istream> input = co_await api->run([&] { return api->files().open(file->id); });
  if (!input) co_return error_response(no_such("File", *file_id, "id"));
  if (file->bytes <= kWholeContent) {
    auto content = co_await api->run([&] {
      std::string bytes(static_cast<std::size_t>(file->bytes), '\0');
      input->read(bytes.data(), file->bytes);
      bytes.resize(static_cast<std::size_t>(input->gcount()));
      return bytes;
    });
    co_return Response::text(std::move(content), "application/octet-stream");
  }
  std::shared_ptr<BatchApi> shared = api.value;
  auto producer = [shared, input](http::StreamWriter& out) -> asio::awaitable<void> {
    auto* file = input.get();
    while (true) {
      auto chunk = co_await shared->run([file] {
        std::string bytes(kContentChunk, '\0');
        file->read(bytes.data(), static_cast<std::streamsize>(bytes.size()));
        bytes.resize(static_cast<std::size_t>(file->gcount()));
        return bytes;
      });
      if (chunk.empty() || !co_await out.write(chunk)) co_return;
    }
  };
  co_return Response::stream("application/octet-stream", std::move(producer));
}

asio::awaitable<Response> delete_file(Request& request, Path<"file_id", std::string> file_id, Depends<BatchApi> api) {
  auto owner = api->owner(request);
  auto removed = co_await api->run([&] { return api->files().remove(*file_id, owner); });
  if (!removed) co_return error_response(no_such("File", *file_id, "id"));
  co_return Response::json(json::object{{"id", *file_id}, {"object", "file"}, {"deleted", true}});
}

/// What POST /files reads, for /openapi.json: the file and its purpose, as OpenAI documents them.
json::value upload_schema() {
  json::array purposes;
  for (const auto* purpose : kUploadPurposes) purposes.emplace_back(purpose);
  json::object file{{"type", "string"}, {"format", "binary"}};
  json::object purpose{{"type", "string"}, {"enum", std::move(purposes)}};
  return json::object{{"type", "object"},
                      {"required", json::array{"file", "purpose"}},
                      {"properties", json::object{{"file", std::move(file)}, {"purpose", std::move(purpose)}}}};
}

}  // namespace

void add_file_routes(api::RouteGroup& group, std::uint64_t file_size_limit) {
  group.post("/files", create_file,
             {.summary = "Upload a file (OpenAI-compatible)",
              .description = "multipart/form-data with `file` and `purpose` (batch, fine-tune, assistants, vision, "
                             "user_data, evals). Larger than --file-size-limit (default 200 MB): 413.",
              // The file plus its multipart framing, in place of --body-limit (larger or smaller).
              .body_limit = file_size_limit + kMultipartRoom,
              .request_content = {{"multipart/form-data", upload_schema()}}});
  group.get("/files", list_files,
            {.summary = "List files (OpenAI-compatible)",
             .description = "Newest first; `purpose` filters, `after` continues from a file id."});
  group.get("/files/{file_id}", retrieve_file, {.summary = "Retrieve a file (OpenAI-compatible)"});
  group.get("/files/{file_id}/content", file_content, {.summary = "A file's content (OpenAI-compatible)"});
  group.del("/files/{file_id}", delete_file,
            {.summary = "Delete a file (OpenAI-compatible)",
             .description = "A batch already running on the file goes on with it."});
}

}  // namespace sluice::ai::batches
