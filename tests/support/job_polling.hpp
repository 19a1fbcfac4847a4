#pragma once
// Following jobs through the server's HTTP API, for end-to-end tests.

#include "raw_http.hpp"

#include <boost/json/value.hpp>

#include <chrono>
#include <functional>
#include <string>

namespace sluice::test {

/// GET /jobs/{id} until `done(job)` holds (default: a final state) or `limit` passes; the last
/// job seen, or null when the job could not be read.
boost::json::value wait_for_job(std::uint16_t port, const std::string& id,
                                std::chrono::milliseconds limit = std::chrono::seconds(10),
                                std::function<bool(const boost::json::value&)> done = {});

/// POST /jobs/demo?label=L&documents=N; the new job's id ("" on failure).
std::string start_demo_job(std::uint16_t port, long label, long documents = 1000,
                            const std::string& extra_headers = "");

}  // namespace sluice::test
