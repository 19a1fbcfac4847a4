#include "test_pki.hpp"

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <stdexcept>

namespace sluice::test {

namespace {

void run(const std::string& command) {
  if (std::system((command + " >/dev/null 2>&1").c_str()) != 0)
    throw std::runtime_error("TestPki: failed: " + command);
}

void write(const std::string& path, const std::string& text) { std::ofstream(path) << text; }

/// A CA (key + self-signed certificate) named `name` in `dir`.
void make_ca(const std::string& dir, const std::string& name) {
  write(dir + "/" + name + ".cnf",
        "[req]\ndistinguished_name = dn\nprompt = no\n[dn]\nCN = Sluice " + name +
            "\n[v3_ca]\nbasicConstraints = critical,CA:TRUE\nkeyUsage = critical,keyCertSign,cRLSign\n"
            "subjectKeyIdentifier = hash\n");
  run("openssl req -x509 -new -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 -keyout " + dir + "/" +
      name + ".key -out " + dir + "/" + name + ".pem -config " + dir + "/" + name + ".cnf -extensions v3_ca");
}

/// A server certificate `name` for `alt_names`, signed by the CA `ca`.
void make_leaf(const std::string& dir, const std::string& name, const std::string& ca, const std::string& alt_names,
               int serial) {
  write(dir + "/" + name + ".ext",
        "basicConstraints = CA:FALSE\nkeyUsage = critical,digitalSignature\nextendedKeyUsage = serverAuth\n"
        "subjectAltName = " + alt_names + "\n");
  run("openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -subj /CN=" + name + " -keyout " +
      dir + "/" + name + ".key -out " + dir + "/" + name + ".csr");
  run("openssl x509 -req -days 2 -in " + dir + "/" + name + ".csr -CA " + dir + "/" + ca + ".pem -CAkey " + dir + "/" +
      ca + ".key -set_serial " + std::to_string(serial) + " -extfile " + dir + "/" + name + ".ext -out " + dir + "/" +
      name + ".pem");
}

}  // namespace

TestPki::TestPki() {
  std::string pattern = (std::filesystem::temp_directory_path() / "sluice-pki-XXXXXX").string();
  if (!::mkdtemp(pattern.data())) throw std::runtime_error("TestPki: mkdtemp failed");
  dir = pattern;
  make_ca(dir, "ca");
  make_ca(dir, "stranger-ca");
  make_leaf(dir, "server", "ca", "DNS:localhost,IP:127.0.0.1", 1);
  make_leaf(dir, "wrong-name", "ca", "DNS:elsewhere.test", 2);
  make_leaf(dir, "stranger", "stranger-ca", "DNS:localhost,IP:127.0.0.1", 3);
  ca_file = dir + "/ca.pem";
  cert_file = dir + "/server.pem";
  key_file = dir + "/server.key";
  wrong_name_cert_file = dir + "/wrong-name.pem";
  wrong_name_key_file = dir + "/wrong-name.key";
  stranger_cert_file = dir + "/stranger.pem";
  stranger_key_file = dir + "/stranger.key";
}

TestPki::~TestPki() {
  std::error_code ignored;
  std::filesystem::remove_all(dir, ignored);
}

}  // namespace sluice::test
