#include "job_polling.hpp"

#include <boost/json/parse.hpp>

#include <thread>

namespace sluice::test {


boost::json::value wait_for_job(std::uint16_t port, const std::string& id, std::chrono::milliseconds limit,
                                std::function<bool(const boost::json::value&)> done) {
  if (!done)
    done = [](const boost::json::value& job) {
      auto state = job.at("state").as_string();
      return state == "succeeded" || state == "failed" || state == "cancelled";
    };
  auto deadline = std::chrono::steady_clock::now() + limit;
  boost::json::value job = nullptr;
  while (std::chrono::steady_clock::now() < deadline) {
    auto r = request(port, "GET", "/jobs/" + id);
    if (!r || r->status != 200) return nullptr;
    job = json_of(*r);
    if (done(job)) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return job;
}

std::string start_demo_job(std::uint16_t port, long label, long documents, const std::string& extra_headers) {
  auto r = request(port, "POST", "/jobs/demo?label=" + std::to_string(label) + "&documents=" + std::to_string(documents), "",
                   extra_headers);
  if (!r || r->status != 202) return "";
  return std::string(json_of(*r).at("job_id").as_string());
}

}  // namespace sluice::test
