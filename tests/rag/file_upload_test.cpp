// Files in a dataset upload (src/rag/file_upload.cpp): raw files and multipart parts become
// documents named after their files, with a PDF's pages in their metadata.
#include "file_upload.hpp"
#include "test_documents.hpp"

#include <gtest/gtest.h>

namespace sluice::rag {
namespace {

std::string form(const std::vector<UploadedFile>& files) {
  std::string body;
  for (const auto& file : files) {
    body += "--XyZ\r\nContent-Disposition: form-data; name=\"files\"; filename=\"" + file.name + "\"\r\n";
    if (!file.content_type.empty()) body += "Content-Type: " + file.content_type + "\r\n";
    body += "\r\n" + std::string(file.bytes) + "\r\n";
  }
  return body + "--XyZ--\r\n";
}

constexpr std::string_view kForm = "multipart/form-data; boundary=XyZ";

TEST(FileUpload, MultipartFilesBecomeDocumentsNamedAfterTheirFiles) {
  auto pdf = test::make_pdf({"Lighthouse keepers trim the wick.", "Sourdough rises slowly."}, "Notes");
  auto docx = test::make_docx({{1, "Volcanoes"}, {0, "Volcanoes vent steam."}});
  auto body = form({{"notes.pdf", "application/pdf", pdf},
                    {"volcano.docx", "application/octet-stream", docx},
                    {"readme.md", "", "# Bees\n\nBees make honey."}});
  ASSERT_TRUE(is_file_upload(kForm, ""));
  auto files = uploaded_files(kForm, "", body);
  ASSERT_TRUE(files) << files.error().message;
  ASSERT_EQ(files->size(), 3u);

  auto first = documents_of((*files)[0], {});
  ASSERT_TRUE(first) << first.error().message;
  const auto& notes = first->documents.at(0);
  EXPECT_EQ(notes.id, "notes.pdf");
  EXPECT_EQ(notes.title, "Notes");
  EXPECT_EQ(notes.metadata.at("file"), "notes.pdf");
  EXPECT_EQ(notes.metadata.at("pages"), 2);
  ASSERT_EQ(notes.metadata.at("page_starts").as_array().size(), 2u);
  EXPECT_TRUE(first->warnings.empty());

  auto second = documents_of((*files)[1], {});
  ASSERT_TRUE(second) << second.error().message;
  EXPECT_EQ(second->documents.at(0).id, "volcano.docx");
  EXPECT_EQ(second->documents.at(0).text, "# Volcanoes\n\nVolcanoes vent steam.");
  EXPECT_FALSE(second->documents.at(0).metadata.contains("pages"));

  auto third = documents_of((*files)[2], {});
  ASSERT_TRUE(third) << third.error().message;
  EXPECT_EQ(third->documents.at(0).id, "readme.md");
  EXPECT_EQ(third->documents.at(0).title, "Bees");
}

TEST(FileUpload, ARawFileIsNamedByItsIdOrItsDisposition) {
  EXPECT_EQ(disposition_file_name("attachment; filename=\"Annual \\\"report\\\".pdf\""), "Annual \"report\".pdf");
  EXPECT_EQ(disposition_file_name("attachment; filename=plain.docx; size=10"), "plain.docx");
  EXPECT_EQ(disposition_file_name("inline"), "");
  EXPECT_TRUE(is_file_upload("application/octet-stream", "x.odt"));
  EXPECT_FALSE(is_file_upload("application/octet-stream", "x.bin"));
  EXPECT_FALSE(is_file_upload("application/json", ""));
  auto pdf = test::make_pdf({"One page of text."});
  auto files = uploaded_files("application/pdf", "", pdf);
  ASSERT_TRUE(files);
  auto parsed = documents_of(files->at(0), {.id = "given", .title = "Given title"});
  ASSERT_TRUE(parsed) << parsed.error().message;
  EXPECT_EQ(parsed->documents.at(0).id, "given");
  EXPECT_EQ(parsed->documents.at(0).title, "Given title");
  auto unnamed = documents_of(files->at(0), {});
  ASSERT_TRUE(unnamed);
  EXPECT_EQ(unnamed->documents.at(0).id.size(), 16u);  // a content hash, as for unnamed text
}

TEST(FileUpload, ScannedPagesAreWarnedAboutInTheAnswer) {
  UploadedFile file{"scan.pdf", "application/pdf", {}};
  auto pdf = test::make_pdf({"Cover text.", "", ""});
  file.bytes = pdf;
  auto parsed = documents_of(file, {});
  ASSERT_TRUE(parsed) << parsed.error().message;
  ASSERT_EQ(parsed->warnings.size(), 1u);
  const auto& warning = parsed->warnings[0].as_object();
  EXPECT_EQ(warning.at("code"), "no_text_layer");
  EXPECT_EQ(warning.at("document_id"), "scan.pdf");
  EXPECT_EQ(warning.at("pages"), (boost::json::array{2, 3}));
  EXPECT_NE(std::string(warning.at("message").as_string()).find("scan.pdf: 2 of 3 pages"), std::string::npos);
  EXPECT_EQ(parsed->documents.at(0).metadata.at("pages_without_text"), (boost::json::array{2, 3}));
}

TEST(FileUpload, BadFormsAndBadFilesNameWhatIsWrong) {
  auto twice = uploaded_files(kForm, "", form({{"a.txt", "", "one"}, {"a.txt", "", "two"}}));
  ASSERT_FALSE(twice);
  EXPECT_EQ(twice.error().status, 422u);
  auto none = uploaded_files(kForm, "", "--XyZ\r\nContent-Disposition: form-data; name=\"x\"\r\n\r\nv\r\n--XyZ--\r\n");
  ASSERT_FALSE(none);
  EXPECT_EQ(none.error().status, 422u);
  auto broken = documents_of({"broken.pdf", "application/pdf", "garbage"}, {});
  ASSERT_FALSE(broken);
  EXPECT_EQ(broken.error().status, 422u);
  EXPECT_NE(broken.error().message.find("broken.pdf"), std::string::npos);
  auto bad_text = documents_of({"latin1.txt", "", "caf\xE9"}, {});
  ASSERT_FALSE(bad_text);
  EXPECT_NE(bad_text.error().message.find("latin1.txt"), std::string::npos);
}

TEST(FileUpload, AChunkCarriesItsPageInPlaceOfThePageStarts) {
  boost::json::object metadata{{"file", "a.pdf"}, {"page_starts", {0, 100, 250}}};
  auto one = metadata;
  set_chunk_pages(one, 120, 200);
  EXPECT_EQ(one, (boost::json::object{{"file", "a.pdf"}, {"page", 2}}));
  auto two = metadata;
  set_chunk_pages(two, 90, 260);
  EXPECT_EQ(two.at("page"), 1);
  EXPECT_EQ(two.at("page_end"), 3);
  boost::json::object plain{{"topic", "x"}};
  set_chunk_pages(plain, 0, 10);
  EXPECT_EQ(plain, (boost::json::object{{"topic", "x"}}));
  boost::json::object odd{{"page_starts", {-1, "x"}}};
  set_chunk_pages(odd, 0, 10);  // a client's own metadata of that name: left alone
  EXPECT_TRUE(odd.contains("page_starts"));
}

}  // namespace
}  // namespace sluice::rag
