#include "batch_runner.hpp"

#include "batch_input.hpp"

#include "sluice/ai/openai.hpp"
#include "sluice/core/error.hpp"
#include "sluice/core/json_text.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json/parse.hpp>

#include <cerrno>
#include <cstring>
#include <optional>
#include <stdexcept>
#include <unordered_set>

namespace sluice::ai::batches {

namespace asio = boost::asio;
namespace json = boost::json;
using openai::unix_now;

namespace {

bool is_finished(std::string_view status) {
  return status == "completed" || status == "failed" || status == "cancelled" || status == "expired";
}

json::object counts_json(std::size_t total, std::size_t completed, std::size_t failed) {
  return {{"total", total}, {"completed", completed}, {"failed", failed}};
}

/// A batch's output and error logs, and the file ids they become.
struct Results {
  std::string output_id, errors_id;
  std::unique_ptr<ResultLog> output, errors;

  Results(FileStore& files, const std::string& batch_id) {
    auto suffix = batch_id.substr(batch_id.find('_') + 1);
    output_id = "file-out" + suffix;
    errors_id = "file-err" + suffix;
    output = files.results(batch_id, "output", output_id);
    errors = files.results(batch_id, "errors", errors_id);
  }
  void flush() {
    output->flush();
    errors->flush();
  }
};

enum class Stop { none, cancelled, expired, interrupted };

/// One batch's execution on its own event loop (the job's thread): `concurrency` coroutines
/// take the next line not yet done, run it, and append its result.
struct Execution {
  BatchServices& services;
  jobs::JobContext& job;
  std::string batch_id;
  std::string endpoint;
  std::istream& input;
  std::unordered_set<std::string>& done;
  Results& results;
  std::size_t total = 0, completed = 0, failed = 0;
  std::int64_t expires_at = 0;
  std::shared_ptr<ai::Embedder> embedder;
  std::shared_ptr<ai::Generator> generator;
  std::size_t line_number = 0;
  std::size_t running = 0;
  Stop stop = Stop::none;
  asio::steady_timer* ticker = nullptr;

  std::optional<BatchLine> next_line() {
    std::string text;
    while (std::getline(input, text)) {
      auto parsed = parse_batch_line(text, ++line_number, endpoint);
      auto* line = std::get_if<BatchLine>(&parsed);
      if (!line) throw std::runtime_error(fmt::format("line {} of the input changed after validation", line_number));
      if (is_blank(*line) || done.contains(line->custom_id)) continue;
      return std::move(*line);
    }
    return std::nullopt;
  }

  /// Makes the lines so far durable, writes the counts and progress; stops on cancel, expiry
  /// or a job that must stop.
  void check() {
    results.flush();
    if (job.is_cancelled()) {
      stop = Stop::interrupted;
      return;
    }
    auto stored = services.batches->update(
        batch_id, [&](json::object& batch) { batch["request_counts"] = counts_json(total, completed, failed); });
    if (total > 0)
      job.progress(static_cast<double>(completed + failed) / static_cast<double>(total),
                   fmt::format("{}/{} requests", completed + failed, total));
    if (!stored || stored->at("status") == "cancelling")
      stop = Stop::cancelled;
    else if (expires_at > 0 && unix_now() >= expires_at)
      stop = Stop::expired;
  }
};

json::object result_line(const std::string& custom_id, openai::Outcome outcome) {
  json::object response{
      {"status_code", outcome.status}, {"request_id", openai::new_id("req")}, {"body", std::move(outcome.body)}};
  return {{"id", openai::new_id("batch_req")},
          {"custom_id", custom_id},
          {"response", std::move(response)},
          {"error", nullptr}};
}

asio::awaitable<void> run_lines(Execution& e) {
  while (e.stop == Stop::none) {
    auto line = e.next_line();
    if (!line) break;
    auto outcome = co_await openai::execute(e.endpoint, line->body, *e.embedder, *e.generator, true, e.services.limits);
    const bool is_success = outcome.status < 300;
    auto text = core::json_text(result_line(line->custom_id, std::move(outcome)));
    text += '\n';
    if (is_success) {
      e.results.output->append(line->custom_id, text);
      ++e.completed;
    } else {
      e.results.errors->append(line->custom_id, text);
      ++e.failed;
    }
  }
  if (--e.running == 0 && e.ticker) e.ticker->cancel();
}

asio::awaitable<void> watch(Execution& e) {
  asio::steady_timer ticker(co_await asio::this_coro::executor);
  e.ticker = &ticker;
  while (e.running > 0) {
    ticker.expires_after(e.services.update_interval);
    co_await ticker.async_wait(asio::as_tuple(asio::use_awaitable));
    if (e.running > 0) e.check();
  }
  e.ticker = nullptr;
}

/// Runs every line not yet done; returns why it stopped (none: all lines ran).
Stop execute(Execution& e) {
  // One event loop per job thread, kept for the thread's life: the batcher's compute threads
  // may release a finished caller's channel (a service of this io_context) just after the
  // caller resumed, so the io_context must outlive the batch that used it.
  thread_local asio::io_context loop;
  loop.restart();
  // A line that throws (a bug, a full disk) stops the batch: rethrown after the loop.
  std::exception_ptr failure;
  auto on_done = [&](std::exception_ptr error) {
    if (error && !failure) {
      failure = error;
      e.stop = Stop::interrupted;
    }
  };
  e.running = std::max<std::size_t>(1, e.services.concurrency);
  for (std::size_t i = 0, n = e.running; i < n; ++i) asio::co_spawn(loop, run_lines(e), on_done);
  asio::co_spawn(loop, watch(e), on_done);
  loop.run();
  if (failure) std::rethrow_exception(failure);
  e.results.flush();
  return e.stop;
}

/// Turns the logs into files of the batch's owner; safe to repeat.
std::pair<json::value, json::value> publish_results(Results& results, const std::string& owner,
                                                    const std::string& batch_id) {
  auto output = results.output->publish(owner, batch_id + "_output.jsonl") ? json::value(results.output_id)
                                                                            : json::value(nullptr);
  auto errors = results.errors->publish(owner, batch_id + "_error.jsonl") ? json::value(results.errors_id)
                                                                           : json::value(nullptr);
  return {std::move(output), std::move(errors)};
}

void fail_batch(BatchServices& s, const std::string& id, std::vector<LineError> errors) {
  json::array data;
  for (const auto& error : errors) data.push_back(error.to_json());
  s.batches->update(id, [&](json::object& batch) {
    batch["status"] = "failed";
    batch["failed_at"] = unix_now();
    batch["errors"] = json::object{{"object", "list"}, {"data", std::move(data)}};
  });
}

/// The batch's last steps: results published, then its final status.
json::value finish(BatchServices& s, const StoredBatch& stored, Results& results, std::string_view status,
                   std::size_t completed, std::size_t failed) {
  const auto id = std::string(stored.batch.at("id").as_string());
  if (status == "completed")
    s.batches->update(id, [&](json::object& batch) {
      batch["status"] = "finalizing";
      batch["finalizing_at"] = unix_now();
    });
  auto [output, errors] = publish_results(results, stored.owner, id);
  s.batches->update(id, [&](json::object& batch) {
    batch["status"] = status;
    batch[std::string(status) + "_at"] = unix_now();
    batch["output_file_id"] = output;
    batch["error_file_id"] = errors;
    auto& counts = batch["request_counts"].as_object();
    counts["completed"] = completed;
    counts["failed"] = failed;
  });
  spdlog::info("batch {} {}: {} completed, {} failed", id, status, completed, failed);
  return {{"batch_id", id}, {"status", status}, {"completed", completed}, {"failed", failed}};
}

}  // namespace

json::value run_batch(const std::string& batch_id, BatchServices& s, jobs::JobContext& job) {
  auto stored = s.batches->get(batch_id);
  if (!stored) return {{"batch_id", batch_id}, {"status", "missing"}};
  auto& batch = stored->batch;
  std::string status(batch.at("status").as_string());
  if (is_finished(status)) return {{"batch_id", batch_id}, {"status", status}};
  Results results(*s.files, batch_id);
  std::unordered_set<std::string> done;
  std::size_t completed = results.output->recover(done);
  std::size_t failed = results.errors->recover(done);
  if (completed + failed > 0)
    spdlog::info("batch {} resumes: {} results already written", batch_id, completed + failed);
  if (status == "cancelling") return finish(s, *stored, results, "cancelled", completed, failed);
  // Results already published: the process stopped while finalising.
  if (status == "finalizing" || results.output->is_published() || results.errors->is_published())
    return finish(s, *stored, results, "completed", completed, failed);

  const std::string input_id(batch.at("input_file_id").as_string());
  const std::string endpoint(batch.at("endpoint").as_string());
  auto missing_input = [&]() -> json::value {
    fail_batch(s, batch_id, {{0, "input_file_missing", "The input file " + input_id + " no longer exists", ""}});
    return {{"batch_id", batch_id}, {"status", "failed"}};
  };
  auto input = s.files->open(input_id);
  if (!input) return missing_input();
  if (status == "validating") {
    auto validation = validate_batch_input(*input, endpoint, kMaxBatchRequests);
    if (!validation.errors.empty()) {
      spdlog::info("batch {} failed validation: {} error(s)", batch_id, validation.errors.size());
      fail_batch(s, batch_id, std::move(validation.errors));
      return {{"batch_id", batch_id}, {"status", "failed"}};
    }
    auto updated = s.batches->update(batch_id, [&](json::object& b) {
      b["request_counts"] = counts_json(validation.requests, 0, 0);
      if (b.at("status") != "validating") return;  // cancelled meanwhile
      b["status"] = "in_progress";
      b["in_progress_at"] = unix_now();
    });
    if (updated && updated->at("status") == "cancelling") return finish(s, *stored, results, "cancelled", 0, 0);
    batch["request_counts"] = counts_json(validation.requests, 0, 0);
    input = s.files->open(input_id);  // from the start again (a stored file need not seek)
    if (!input) return missing_input();
  }

  Execution e{s, job, batch_id, endpoint, *input, done, results};
  e.total = static_cast<std::size_t>(batch.at("request_counts").at("total").to_number<std::int64_t>());
  e.completed = completed;
  e.failed = failed;
  e.expires_at = batch.at("expires_at").to_number<std::int64_t>();
  e.embedder = s.embedder();
  e.generator = s.generator();
  auto stop = execute(e);
  switch (stop) {
    case Stop::interrupted:
      throw jobs::JobCancelled();  // shutdown or lost lease: the job resumes from its results
    case Stop::cancelled:
      return finish(s, *stored, results, "cancelled", e.completed, e.failed);
    case Stop::expired:
      return finish(s, *stored, results, "expired", e.completed, e.failed);
    case Stop::none:
      break;
  }
  return finish(s, *stored, results, "completed", e.completed, e.failed);
}

void handle_batch_jobs(jobs::JobQueue& queue, std::shared_ptr<BatchServices> services) {
  queue.handle_waiting(std::string(kBatchJobType), [services](jobs::JobContext& job) -> json::value {
    const std::string batch_id(job.payload().at("batch_id").as_string());
    try {
      return run_batch(batch_id, *services, job);
    } catch (const jobs::JobCancelled&) {
      throw;
    } catch (const core::Failure& e) {
      // The database is down or full: the attempt fails and the job retries with backoff,
      // resuming from the results already stored, rather than failing the batch for good.
      spdlog::warn("batch {} stopped: {} (it resumes on the job's next attempt)", batch_id, e.what());
      throw;
    } catch (const std::exception& e) {
      // A batch that cannot go on fails visibly rather than being retried blindly.
      spdlog::error("batch {} failed: {}", batch_id, e.what());
      fail_batch(*services, batch_id, {{0, "internal_error", e.what(), ""}});
      return {{"batch_id", batch_id}, {"status", "failed"}};
    }
  });
}

}  // namespace sluice::ai::batches
