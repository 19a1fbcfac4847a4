#pragma once
// The one error shape every layer returns and every client sees.

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

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

}  // namespace sluice::core
