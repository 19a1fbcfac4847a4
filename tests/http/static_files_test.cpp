#include "sluice/http/static_files.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include <unistd.h>

namespace sluice::http {
namespace {

namespace fs = std::filesystem;

/// A built front-end in a temporary directory: index.html and hashed assets.
class StaticFilesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir = fs::temp_directory_path() / ("sluice-static-" + std::to_string(::getpid()));
    fs::create_directories(dir / "assets");
    write("index.html", "<!doctype html><p>console</p>");
    write("assets/index-abc123.js", "console.log(1)");
    write("assets/index-abc123.css", "p{}");
  }
  void TearDown() override { fs::remove_all(dir); }
  void write(const std::string& name, const std::string& text) { std::ofstream(dir / name) << text; }

  Request get(std::string target, std::string if_none_match = "") {
    RawRequest raw{Verb::get, target, 11};
    if (!if_none_match.empty()) raw.set(Field::if_none_match, if_none_match);
    return Request(std::move(raw), {}, boost::asio::ip::make_address("127.0.0.1"), scope, pool);
  }
  static std::string policy(std::string_view name) {
    return name.starts_with("assets/") ? "immutable" : "no-cache";
  }

  fs::path dir;
  di::Container container;
  di::Scope scope{container};
  core::ComputePool pool{1};
};

TEST_F(StaticFilesTest, LoadsADirectoryWithRelativeNamesTypesAndCachePolicies) {
  StaticFiles files;
  ASSERT_TRUE(files.load_directory(dir, policy));
  auto script = files.serve("assets/index-abc123.js", get("/x"));
  EXPECT_EQ(script.status(), Status::ok);
  EXPECT_EQ(script.header("Content-Type"), "text/javascript; charset=utf-8");
  EXPECT_EQ(script.header("Cache-Control"), "immutable");
  EXPECT_EQ(script.body(), "console.log(1)");
  auto page = files.serve("index.html", get("/x"));
  EXPECT_EQ(page.header("Content-Type"), "text/html; charset=utf-8");
  EXPECT_EQ(page.header("Cache-Control"), "no-cache");
  EXPECT_EQ(files.serve("assets/missing.js", get("/x")).status(), Status::not_found);
}

TEST_F(StaticFilesTest, AnswersNotModifiedToTheCurrentEtag) {
  StaticFiles files;
  ASSERT_TRUE(files.load_directory(dir, policy));
  auto first = files.serve("index.html", get("/x"));
  auto etag = std::string(first.header("ETag"));
  ASSERT_FALSE(etag.empty());
  auto again = files.serve("index.html", get("/x", etag));
  EXPECT_EQ(again.status(), Status::not_modified);
  EXPECT_EQ(again.header("Cache-Control"), "no-cache");
  EXPECT_EQ(files.serve("index.html", get("/x", "\"stale\"")).status(), Status::ok);
}

TEST_F(StaticFilesTest, RefusesAMissingDirectoryOrOneOverItsBounds) {
  StaticFiles files;
  EXPECT_FALSE(files.load_directory(dir / "nope", policy));
  EXPECT_FALSE(files.load_directory(dir, policy, /*max_files=*/2));
  EXPECT_FALSE(files.load_directory(dir, policy, 512, /*max_bytes=*/10));
  EXPECT_TRUE(files.empty());
  EXPECT_TRUE(files.load_directory(dir, policy, 3));
}

}  // namespace
}  // namespace sluice::http
