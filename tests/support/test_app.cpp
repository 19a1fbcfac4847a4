#include "test_app.hpp"

namespace sluice::test {

RunningApp::RunningApp(App& app, http::ServerOptions options) : app_(app) {
  options.host = "127.0.0.1";
  options.port = 0;
  options.handle_signals = false;
  if (options.io_threads == 0) options.io_threads = 2;
  auto port = listening_.get_future();
  thread_ = std::thread([this, options] {
    try {
      app_.run(options, [this](std::uint16_t p) { listening_.set_value(p); });
    } catch (...) {
      try {
        listening_.set_exception(std::current_exception());
      } catch (const std::future_error&) {  // failed after it listened: the test sees its symptoms
      }
    }
  });
  port_ = port.get();
}

RunningApp::~RunningApp() {
  app_.stop();
  thread_.join();
}

}  // namespace sluice::test
