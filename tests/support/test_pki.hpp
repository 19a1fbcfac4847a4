#pragma once
// Certificates made at test time with the openssl command: a private CA and server certificates
// it signed, for running both ends of TLS on loopback. Nothing is committed or downloaded.

#include <string>

namespace sluice::test {

struct TestPki {
  /// Creates a temporary directory holding everything below; throws if openssl fails.
  TestPki();
  /// Removes the directory.
  ~TestPki();
  TestPki(const TestPki&) = delete;
  TestPki& operator=(const TestPki&) = delete;

  std::string dir;
  std::string ca_file;  // the test CA's certificate (PEM): what clients are told to trust
  // Signed by the CA for DNS:localhost and IP:127.0.0.1.
  std::string cert_file, key_file;
  // Signed by the CA, but for DNS:elsewhere.test only.
  std::string wrong_name_cert_file, wrong_name_key_file;
  // For localhost and 127.0.0.1, signed by a CA that nobody trusts.
  std::string stranger_cert_file, stranger_key_file;
};

}  // namespace sluice::test
