// `sluice serve --tls-cert/--tls-key` serves HTTPS (curl, the system's TLS client, checks it),
// and `--provider-url https://...` with `--provider-ca-file` reaches a TLS upstream, here a
// second sluice serving HTTPS with a certificate from the test's own CA.
#include "raw_http.hpp"
#include "server_process.hpp"
#include "test_pki.hpp"

#include <gtest/gtest.h>

#include <array>
#include <cstdio>
#include <sys/wait.h>

namespace sluice::test {
namespace {

struct Curl {
  int exit_status;
  std::string output;
};

Curl curl(const std::string& arguments) {
  Curl result{-1, ""};
  FILE* pipe = ::popen(("curl -sS --max-time 10 " + arguments + " 2>&1").c_str(), "r");
  if (!pipe) return result;
  std::array<char, 4096> chunk;
  while (auto n = std::fread(chunk.data(), 1, chunk.size(), pipe)) result.output.append(chunk.data(), n);
  int status = ::pclose(pipe);
  result.exit_status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return result;
}

TEST(Tls, ServesHttpsThatCurlVerifies) {
  TestPki pki;
  ServerProcess server({"--tls-cert", pki.cert_file, "--tls-key", pki.key_file});
  const auto url = "https://localhost:" + std::to_string(server.port()) + "/health";
  auto verified = curl("--cacert " + pki.ca_file + " " + url);
  EXPECT_EQ(verified.exit_status, 0) << verified.output;
  EXPECT_EQ(verified.output, R"({"status":"ok"})");
  // Without the test CA, curl (the system's store) refuses the certificate: exit 60.
  auto unverified = curl(url);
  EXPECT_EQ(unverified.exit_status, 60) << unverified.output;
  // Keep-alive over TLS: two requests on one connection.
  auto twice = curl("--cacert " + pki.ca_file + " " + url + " " + url);
  EXPECT_EQ(twice.output, R"({"status":"ok"}{"status":"ok"})") << twice.output;
}

TEST(Tls, ReachesAnHttpsProviderTrustedThroughTheCaFile) {
  TestPki pki;
  ServerProcess upstream({"--tls-cert", pki.cert_file, "--tls-key", pki.key_file});
  const auto provider = "https://localhost:" + std::to_string(upstream.port()) + "/v1";
  auto body = R"({"model":"sluice-embed","input":"over TLS"})";
  const std::string json = "Content-Type: application/json\r\n";

  ServerProcess trusting({"--provider-url", provider, "--provider-ca-file", pki.ca_file, "--embedding-model",
                          "sluice-embed"});
  auto ok = request(trusting.port(), "POST", "/v1/embeddings", body, json);
  ASSERT_TRUE(ok);
  EXPECT_EQ(ok->status, 200) << ok->body;

  ServerProcess distrusting({"--provider-url", provider, "--embedding-model", "sluice-embed", "--provider-retries",
                             "0"});
  auto refused = request(distrusting.port(), "POST", "/v1/embeddings", body, json);
  ASSERT_TRUE(refused);
  EXPECT_EQ(refused->status, 502) << refused->body;
  EXPECT_NE(refused->body.find("certificate"), std::string::npos) << refused->body;
}

}  // namespace
}  // namespace sluice::test
