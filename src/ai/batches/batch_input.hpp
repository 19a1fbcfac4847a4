#pragma once
// The input file of a batch: one JSON request per line, {"custom_id","method","url","body"}.
// Pure functions, shared by validation (before anything runs) and execution.

#include <boost/json/object.hpp>

#include <cstddef>
#include <istream>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace sluice::ai::batches {

/// One request line. `body` is the request body, serialised again for openai::execute.
struct BatchLine {
  std::string custom_id;
  std::string body;
};

/// Why a line is refused; `line` is 1-based, as editors count.
struct LineError {
  std::size_t line = 0;
  std::string code;
  std::string message;
  std::string param;  // empty: null

  /// OpenAI's batch error entry: {"code","message","param","line"}.
  boost::json::object to_json() const;
};

/// Reads line `number` of a batch for `endpoint`. A line is blank (nothing but white space:
/// skipped, yields a BatchLine with an empty custom_id) or a request.
std::variant<BatchLine, LineError> parse_batch_line(std::string_view text, std::size_t number,
                                                    std::string_view endpoint);

inline bool is_blank(const BatchLine& line) { return line.custom_id.empty(); }

struct BatchValidation {
  std::size_t requests = 0;
  std::vector<LineError> errors;  // at most max_errors, in line order
};

/// Checks every line and that custom_ids are unique; at most `max_requests` requests, and an
/// input with none is refused.
BatchValidation validate_batch_input(std::istream& in, std::string_view endpoint, std::size_t max_requests,
                                     std::size_t max_errors = 100);

}  // namespace sluice::ai::batches
