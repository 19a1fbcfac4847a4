#pragma once
// The one error shape every layer returns and every client sees.

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include <stdexcept>
#include <string>
#include <utility>
#include <variant>
#include <vector>

namespace sluice::core {

/// An expected failure: maps to one HTTP status and one JSON body
/// `{"code": ..., "message": ..., "detail": ...}` (`detail` is FastAPI-compatible).
struct Error {
  unsigned status = 500;   // HTTP status it maps to
  std::string code;        // stable, machine-readable: "not_found", "upstream_timeout", ...
  std::string message;     // for humans
  boost::json::value detail = nullptr;  // FastAPI's `detail`; the message when null

  boost::json::value to_json() const;
};

/// One entry of a 422 response, in FastAPI's shape: {"type","loc","msg","input"[,"ctx"]}.
struct FieldIssue {
  std::string type;             // "missing", "int_parsing", "string_too_short", ...
  boost::json::array loc;       // ["query", "prompt"] or ["body", "items", 0, "name"]
  std::string msg;
  boost::json::value input = nullptr;
  boost::json::object ctx = {};  // e.g. {"ge": 1}; omitted when empty
};

/// 422 `validation_error` whose `detail` lists every issue (FastAPI's body).
Error validation_error(const std::vector<FieldIssue>& issues);
Error bad_request(std::string message);
Error not_found(std::string message);
Error internal_error(std::string message = "Internal Server Error");

/// A value or an Error. Small on purpose: C++20 has no std::expected.
template <class T>
class Result {
 public:
  Result(T value) : state_(std::move(value)) {}         // NOLINT(google-explicit-constructor)
  Result(Error error) : state_(std::move(error)) {}     // NOLINT(google-explicit-constructor)

  bool has_value() const { return state_.index() == 0; }
  explicit operator bool() const { return has_value(); }
  T& value() { return std::get<0>(state_); }
  const T& value() const { return std::get<0>(state_); }
  T& operator*() { return value(); }
  const T& operator*() const { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  const Error& error() const { return std::get<1>(state_); }

 private:
  std::variant<T, Error> state_;
};

/// A store or service that cannot serve right now (a database that is down, a full disk)
/// throws this from code that has no Result to return, such as a synchronous store interface
/// called on the compute pool. The HTTP layer answers it with its error (and `Retry-After` when
/// `retry_after_s` is set) instead of a bare 500.
class Failure : public std::runtime_error {
 public:
  explicit Failure(Error error, unsigned retry_after_s = 0)
      : std::runtime_error(error.message), error_(std::move(error)), retry_after_s_(retry_after_s) {}
  const Error& error() const { return error_; }
  unsigned retry_after_s() const { return retry_after_s_; }

 private:
  Error error_;
  unsigned retry_after_s_;
};

}  // namespace sluice::core
