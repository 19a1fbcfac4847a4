// PDF, DOCX and ODT files uploaded to a dataset on the real binary: a raw PDF and a multipart
// form of office files become documents, are processed and found by search, the PDF's hits
// with their page; a zip bomb is 413, a broken PDF and a scan without text 422, naming the file.
#include "job_polling.hpp"
#include "raw_http.hpp"
#include "server_process.hpp"
#include "test_documents.hpp"

#include <gtest/gtest.h>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

namespace sluice::test {
namespace {

using namespace std::chrono_literals;
namespace json = boost::json;

json::value call(std::uint16_t port, const std::string& method, const std::string& target, unsigned status,
                 const std::string& body, const std::string& headers) {
  auto r = request(port, method, target, body, headers, 30s);
  EXPECT_TRUE(r) << method << " " << target;
  if (!r) return nullptr;
  EXPECT_EQ(r->status, status) << method << " " << target << ": " << r->body;
  return r->body.empty() ? json::value(nullptr) : json::parse(r->body);
}

const std::string kJson = "Content-Type: application/json\r\n";

std::string base(std::int64_t id) { return "/datasets/" + std::to_string(id); }

std::string form(const std::vector<std::pair<std::string, std::string>>& files) {
  std::string body;
  for (const auto& [name, bytes] : files)
    body += "--form-b0undary\r\nContent-Disposition: form-data; name=\"files\"; filename=\"" + name +
            "\"\r\nContent-Type: application/octet-stream\r\n\r\n" + bytes + "\r\n";
  return body + "--form-b0undary--\r\n";
}

const std::string kForm = "Content-Type: multipart/form-data; boundary=form-b0undary\r\n";

/// The page a search hit names (its own page, in place of the document's page starts).
std::int64_t page_of(const json::value& hit) {
  const auto& metadata = hit.at("metadata").as_object();
  EXPECT_FALSE(metadata.contains("page_starts")) << hit;
  const auto* page = metadata.if_contains("page");
  return page ? page->to_number<std::int64_t>() : -1;
}

json::value top_hit(std::uint16_t port, std::int64_t id, const std::string& query) {
  auto body = json::serialize(json::object{{"query", query}, {"mode", "keyword"}, {"k", 3}});
  auto answer = call(port, "POST", base(id) + "/search", 200, body, kJson);
  if (!answer.is_object() || answer.at("results").as_array().empty()) return nullptr;
  return answer.at("results").as_array().at(0);
}

TEST(DocumentFiles, PdfAndOfficeFilesAreUploadedProcessedAndFoundWithTheirPage) {
  ServerProcess server({});
  auto id = call(server.port(), "POST", "/datasets", 201, R"({"name":"files"})", kJson).at("id").as_int64();
  auto pdf = make_pdf({"Lighthouse keepers trim the wick at night.",
                       "The Fresnel lens bends lamplight into a beam that sweeps the sea.",
                       "Fog horns sound when the beam cannot be seen."},
                      "Keeping a light");
  auto raw =
      call(server.port(), "POST", base(id) + "/documents?id=keeper.pdf", 201, pdf, "Content-Type: application/pdf\r\n");
  EXPECT_EQ(raw.at("added"), 1);
  EXPECT_EQ(raw.at("documents").at(0).at("id"), "keeper.pdf");
  EXPECT_EQ(raw.at("documents").at(0).at("pages"), 3);
  EXPECT_FALSE(raw.as_object().contains("warnings"));

  auto docx = make_docx({{1, "Sourdough"}, {0, "A sourdough starter ferments flour and water for days."}});
  auto odt = make_odt({{1, "Volcanoes"}, {0, "Basalt lava flows from shield volcanoes."}}, "On volcanoes");
  auto scan = make_pdf({"A cover page with text.", ""});
  auto many = call(server.port(), "POST", base(id) + "/documents", 201,
                   form({{"bread.docx", docx}, {"lava.odt", odt}, {"scan.pdf", scan}}), kForm);
  EXPECT_EQ(many.at("added"), 3);
  ASSERT_EQ(many.at("documents").as_array().size(), 3u);
  EXPECT_EQ(many.at("documents").at(1).at("title"), "On volcanoes");
  ASSERT_EQ(many.at("warnings").as_array().size(), 1u);
  EXPECT_EQ(many.at("warnings").at(0).at("document_id"), "scan.pdf");
  EXPECT_EQ(many.at("warnings").at(0).at("pages"), (json::array{2}));

  auto started = call(server.port(), "POST", base(id) + "/process", 202, "", kJson);
  auto job = wait_for_job(server.port(), std::string(started.at("job_id").as_string()), 60s);
  ASSERT_EQ(job.at("state"), "succeeded") << job;

  auto lens = top_hit(server.port(), id, "Fresnel lens beam");
  ASSERT_TRUE(lens.is_object());
  EXPECT_EQ(lens.at("document_id"), "keeper.pdf");
  EXPECT_EQ(lens.at("title"), "Keeping a light");
  auto fog = top_hit(server.port(), id, "fog horns");
  ASSERT_TRUE(fog.is_object());
  EXPECT_EQ(fog.at("document_id"), "keeper.pdf");
  auto bread = top_hit(server.port(), id, "sourdough starter ferments");
  ASSERT_TRUE(bread.is_object());
  EXPECT_EQ(bread.at("document_id"), "bread.docx");
  EXPECT_NE(std::string(bread.at("text").as_string()).find("# Sourdough"), std::string::npos) << bread;
  auto lava = top_hit(server.port(), id, "basalt lava");
  ASSERT_TRUE(lava.is_object());
  EXPECT_EQ(lava.at("document_id"), "lava.odt");

  // The whole PDF is one chunk here (three short pages): its pages run from 1 to 3.
  EXPECT_EQ(page_of(lens), 1);
  EXPECT_EQ(lens.at("metadata").at("page_end"), 3) << lens;
  // An answer's citation names the pages too.
  auto answer = call(server.port(), "POST", base(id) + "/answer", 200,
                     R"({"question":"Fresnel lens beam","k":1,"mode":"keyword"})", kJson);
  const auto& citation = answer.at("citations").as_array().at(0);
  EXPECT_EQ(citation.at("document_id"), "keeper.pdf") << answer;
  EXPECT_EQ(citation.at("page"), 1) << answer;
  auto document = call(server.port(), "GET", base(id) + "/documents/keeper.pdf", 200, "", kJson);
  EXPECT_EQ(document.at("metadata").at("pages"), 3);
  auto text = std::string(document.at("text").as_string());
  auto fog_at = static_cast<std::int64_t>(text.find("Fog horns"));
  EXPECT_EQ(document.at("metadata").at("page_starts").at(2).to_number<std::int64_t>(), fog_at) << text;
}

TEST(DocumentFiles, ZipBombsBrokenPdfsAndScansAreRefusedNamingTheFile) {
  ServerProcess server({});
  auto id = call(server.port(), "POST", "/datasets", 201, R"({"name":"bad"})", kJson).at("id").as_int64();
  // 80 MiB of blanks in word/document.xml, deflated to well under a megabyte.
  std::string blanks(80u << 20, ' ');
  auto bomb = make_zip({{"word/document.xml",
                         "<w:document xmlns:w=\"http://schemas.openxmlformats.org/"
                         "wordprocessingml/2006/main\">" +
                             blanks + "</w:document>"}});
  blanks.clear();
  blanks.shrink_to_fit();
  ASSERT_LT(bomb.size(), 1u << 20);
  auto refused = call(server.port(), "POST", base(id) + "/documents", 413, form({{"bomb.docx", bomb}}), kForm);
  EXPECT_EQ(refused.at("code"), "document_too_large");
  EXPECT_NE(std::string(refused.at("message").as_string()).find("bomb.docx"), std::string::npos) << refused;

  auto broken =
      call(server.port(), "POST", base(id) + "/documents", 422, "%PDF-1.7\nthis is not a PDF",
           "Content-Type: application/octet-stream\r\nContent-Disposition: attachment; filename=\"broken.pdf\"\r\n");
  EXPECT_EQ(broken.at("code"), "document_unreadable");
  EXPECT_NE(std::string(broken.at("message").as_string()).find("broken.pdf"), std::string::npos) << broken;

  auto scan = call(server.port(), "POST", base(id) + "/documents", 422,
                   form({{"fine.docx", make_docx({{0, "Fine text."}})}, {"scan.pdf", make_pdf({"", ""})}}), kForm);
  EXPECT_EQ(scan.at("code"), "no_text_layer");
  EXPECT_NE(std::string(scan.at("message").as_string()).find("scan.pdf"), std::string::npos) << scan;
  // Nothing of a refused upload is stored, not even its good files.
  auto info = call(server.port(), "GET", base(id), 200, "", kJson);
  EXPECT_EQ(info.at("documents"), 0);
}

}  // namespace
}  // namespace sluice::test
