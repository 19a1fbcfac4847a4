// Misconfiguration found at start-up ends `sluice serve` at once, with a non-zero status and a
// message naming what is wrong, instead of a server that fails every request later.
#include "server_process.hpp"
#include "test_pki.hpp"

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>

namespace sluice::test {
namespace {

/// `sluice serve` on a free port with a throwaway data directory, plus `flags`.
Finished serve_with(const std::vector<std::string>& flags) {
  static const std::string data_dir = [] {
    char pattern[] = "/tmp/sluice-startup-XXXXXX";
    return std::string(::mkdtemp(pattern));
  }();
  std::vector<std::string> args{"serve", "--host", "127.0.0.1", "--port", "0", "--data-dir", data_dir,
                                "--job-workers", "0"};
  args.insert(args.end(), flags.begin(), flags.end());
  return run_sluice(args);
}

void expect_refused(const std::vector<std::string>& flags, const std::string& message) {
  auto run = serve_with(flags);
  EXPECT_NE(run.exit_status, 0) << run.output;
  EXPECT_NE(run.exit_status, -1) << "still running: " << run.output;
  EXPECT_NE(run.output.find(message), std::string::npos) << run.output;
  EXPECT_EQ(run.output.find("listening"), std::string::npos) << run.output;
}

TEST(Startup, AnUnreadableTlsKeyIsRefused) {
  TestPki pki;
  expect_refused({"--tls-cert", pki.cert_file, "--tls-key", "/nonexistent/server.key"},
                 "cannot use TLS key file '/nonexistent/server.key'");
}

TEST(Startup, AnUnreadableTlsCertificateIsRefused) {
  TestPki pki;
  expect_refused({"--tls-cert", "/nonexistent/server.pem", "--tls-key", pki.key_file},
                 "cannot use TLS certificate file '/nonexistent/server.pem'");
}

TEST(Startup, AKeyThatDoesNotMatchTheCertificateIsRefused) {
  TestPki pki;
  expect_refused({"--tls-cert", pki.cert_file, "--tls-key", pki.wrong_name_key_file}, "cannot use TLS key file");
}

TEST(Startup, ACertificateWithoutAKeyIsRefused) {
  TestPki pki;
  expect_refused({"--tls-cert", pki.cert_file}, "--tls-cert and --tls-key");
}

TEST(Startup, ABadProviderUrlIsRefused) {
  expect_refused({"--provider-url", "ftp://models.example/v1"}, "--provider-url must be an http:// or https:// URL");
  expect_refused({"--provider-url", "localhost:8080/v1"}, "--provider-url must be");
}

TEST(Startup, ABadContextUrlIsRefused) { expect_refused({"--context-url", "not a url"}, "--context-url must be"); }

TEST(Startup, AnUnreadableProviderCaFileIsRefused) {
  expect_refused({"--provider-url", "https://127.0.0.1:9/v1", "--provider-ca-file", "/nonexistent/ca.pem"},
                 "cannot use CA file '/nonexistent/ca.pem'");
}

TEST(Startup, ABadRateLimitIsRefused) {
  expect_refused({"--rate-limit", "10/fortnight"}, "10/fortnight");
  expect_refused({"--ai-rate-limit", "ten/minute"}, "ten/minute");
}

TEST(Startup, AnUnreadableApiKeysFileIsRefused) {
  expect_refused({"--api-keys-file", "/nonexistent/keys.txt"}, "/nonexistent/keys.txt");
}

}  // namespace
}  // namespace sluice::test
