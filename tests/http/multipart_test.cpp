#include "sluice/http/multipart.hpp"

#include <gtest/gtest.h>

#include <string>

namespace sluice::http {
namespace {

using namespace std::string_literals;

TEST(MultipartBoundary, ReadsPlainAndQuotedBoundaries) {
  EXPECT_EQ(multipart_boundary("multipart/form-data; boundary=abc123"), "abc123");
  EXPECT_EQ(multipart_boundary("Multipart/Form-Data; charset=utf-8; boundary=\"a b;c\""), "a b;c");
  EXPECT_EQ(multipart_boundary("application/json"), std::nullopt);
  EXPECT_EQ(multipart_boundary("multipart/form-data"), std::nullopt);
  EXPECT_EQ(multipart_boundary("multipart/form-data; boundary=" + std::string(71, 'x')), std::nullopt);
}

TEST(Multipart, SplitsFieldsAndFilesAsBrowsersAndClientsSendThem) {
  // What the openai npm client (undici FormData) sends: a preamble-free body, CRLF everywhere.
  auto body =
      "--XyZ\r\n"
      "Content-Disposition: form-data; name=\"purpose\"\r\n\r\n"
      "batch\r\n"
      "--XyZ\r\n"
      "Content-Disposition: form-data; name=\"file\"; filename=\"in put.jsonl\"\r\n"
      "Content-Type: application/jsonl\r\n\r\n"
      "{\"a\":1}\r\n{\"b\":2}\n\r\n"
      "--XyZ--\r\n"s;
  auto parts = parse_multipart(body, "XyZ");
  ASSERT_TRUE(parts) << parts.error().message;
  ASSERT_EQ(parts->size(), 2u);
  EXPECT_EQ((*parts)[0].name, "purpose");
  EXPECT_EQ((*parts)[0].data, "batch");
  EXPECT_FALSE((*parts)[0].filename);
  EXPECT_EQ((*parts)[1].name, "file");
  EXPECT_EQ((*parts)[1].filename, "in put.jsonl");
  EXPECT_EQ((*parts)[1].content_type, "application/jsonl");
  EXPECT_EQ((*parts)[1].data, "{\"a\":1}\r\n{\"b\":2}\n");  // CRLFs inside the data are kept
}

TEST(Multipart, IgnoresPreambleEpilogueAndBoundaryLookalikes) {
  auto body =
      "this is a preamble\r\n"
      "--b\r\n"
      "content-disposition: form-data; name=file; filename=x\r\n\r\n"
      "--bb is not a delimiter unless it starts a line\r\n--b is not one either without CRLF? yes it is not\r\n"
      "--b--\r\nepilogue"s;
  auto parts = parse_multipart(body, "b");
  // "\r\n--b is not..." IS a delimiter line (RFC 2046 needs only CRLF--boundary), followed by
  // text instead of CRLF: malformed.
  EXPECT_FALSE(parts);

  auto good = "preamble\r\n--b\r\nContent-Disposition: form-data; name=\"f\"\r\n\r\nx--b\r\n--b--"s;
  auto ok = parse_multipart(good, "b");
  ASSERT_TRUE(ok) << ok.error().message;
  ASSERT_EQ(ok->size(), 1u);
  EXPECT_EQ((*ok)[0].data, "x--b");
}

TEST(Multipart, EmptyFileAndBinaryBytes) {
  std::string binary("\0\xff\r\n\r-", 6);
  auto body = "--q\r\nContent-Disposition: form-data; name=\"empty\"; filename=\"e\"\r\n\r\n\r\n"
              "--q\r\nContent-Disposition: form-data; name=\"bin\"\r\n\r\n" +
              binary + "\r\n--q--"s;
  auto parts = parse_multipart(body, "q");
  ASSERT_TRUE(parts) << parts.error().message;
  ASSERT_EQ(parts->size(), 2u);
  EXPECT_EQ((*parts)[0].data, "");
  EXPECT_EQ((*parts)[1].data, binary);
}

TEST(Multipart, RefusesMalformedBodies) {
  auto refuses = [](const std::string& body, std::size_t max_parts = 16) {
    auto parts = parse_multipart(body, "b", max_parts);
    return !parts && parts.error().status == 400 && parts.error().code == "invalid_multipart";
  };
  EXPECT_TRUE(refuses(""));
  EXPECT_TRUE(refuses("no delimiter at all"));
  EXPECT_TRUE(refuses("--b\r\nContent-Disposition: form-data; name=\"f\"\r\n\r\nnever closed"));
  EXPECT_TRUE(refuses("--b\r\nContent-Disposition: form-data; name=\"f\"\r\nno blank line"));
  EXPECT_TRUE(refuses("--b\r\nContent-Type: text/plain\r\n\r\nno name\r\n--b--"));
  EXPECT_TRUE(refuses("--b\r\nContent-Disposition: attachment; name=\"f\"\r\n\r\nx\r\n--b--"));
  EXPECT_TRUE(refuses("--b\r\nbroken header line\r\n\r\nx\r\n--b--"));
  EXPECT_TRUE(refuses("--b\r\n" + std::string(9000, 'h') + "\r\n\r\nx\r\n--b--"));
  std::string many;
  for (int i = 0; i < 3; ++i) many += "--b\r\nContent-Disposition: form-data; name=\"f\"\r\n\r\nx\r\n";
  EXPECT_TRUE(refuses(many + "--b--", 2));
  EXPECT_FALSE(refuses(many + "--b--", 3));
}

TEST(Multipart, FuzzEntryPointSurvivesTruncations) {
  // Every prefix of a valid body: the parser must refuse or parse, never read past the end
  // (ASan builds check the reads; the entry point traps on views outside the input).
  auto body = "--b\r\nContent-Disposition: form-data; name=\"a\"; filename=\"q\\\"x\"\r\n\r\ndata\r\n--b--"s;
  for (std::size_t n = 0; n <= body.size(); ++n)
    fuzz_multipart(reinterpret_cast<const unsigned char*>(body.data()), n);
  SUCCEED();
}

}  // namespace
}  // namespace sluice::http
