// Document extraction speed and memory (issue 26's floors), with the tests' document writer:
//   sluice-document-extract-bench pdf [pages=50] [rounds=20]
//     a text PDF of `pages` pages (40 lines of 11 words each) extracted `rounds` times on
//     this thread: pages per second on one core.
//   sluice-document-extract-bench docx [total_mb=100] [file_mb=2] [dir=/tmp/sluice-docx-bench]
//     DOCX files of about `file_mb` MiB each, `total_mb` MiB in all, written to `dir`, then
//     mapped and extracted one after the other: the growth of anonymous memory (RssAnon) over
//     the run, sampled with each file's text still held.
//   sluice-document-extract-bench write-docx DIR [total_mb=100] [file_mb=2]
//     only writes the files (bench/document_ingest.sh uploads them to a server).
#include "extract/document_extract.hpp"
#include "test_documents.hpp"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <vector>

namespace {

using Clock = std::chrono::steady_clock;

/// Words drawn from a vocabulary of a few thousand, so that the text deflates as prose does
/// (about 3:1), not as a repeated sentence would.
class Prose {
 public:
  Prose() {
    std::mt19937 rng(26);
    for (int i = 0; i < 4000; ++i) {
      std::string word;
      auto length = 2 + rng() % 9;
      for (std::size_t j = 0; j < length; ++j) word += static_cast<char>('a' + rng() % 26);
      words_.push_back(word);
    }
  }
  std::string line(std::size_t words) {
    std::string out;
    for (std::size_t i = 0; i < words; ++i) {
      if (i) out += ' ';
      // Zipf-like: low indexes far more often.
      auto r = std::uniform_real_distribution<double>(0, 1)(rng_);
      out += words_[static_cast<std::size_t>(r * r * r * static_cast<double>(words_.size()))];
    }
    out += '.';
    return out;
  }

 private:
  std::vector<std::string> words_;
  std::mt19937 rng_{7};
};

std::size_t rss_anon_kib() {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line))
    if (line.rfind("RssAnon:", 0) == 0) return std::stoul(line.substr(8));
  return 0;
}

int bench_pdf(std::size_t pages, int rounds) {
  Prose prose;
  std::vector<std::string> texts;
  for (std::size_t p = 0; p < pages; ++p) {
    std::string page;
    for (int l = 0; l < 40; ++l) {
      if (l) page += '\n';
      page += prose.line(11);
    }
    texts.push_back(std::move(page));
  }
  auto pdf = sluice::test::make_pdf(texts, "Benchmark");
  std::size_t characters = 0;
  auto start = Clock::now();
  for (int r = 0; r < rounds; ++r) {
    auto extracted = sluice::rag::extract_pdf(pdf, "bench.pdf", {});
    if (!extracted || extracted->page_starts.size() != pages) {
      std::fprintf(stderr, "extraction failed\n");
      return 1;
    }
    characters = extracted->text.size();
  }
  double seconds = std::chrono::duration<double>(Clock::now() - start).count();
  std::printf("pdf: %zu pages, %zu bytes of PDF, %zu bytes of text; %d rounds in %.3f s: %.1f pages/s (one core)\n",
              pages, pdf.size(), characters, rounds, seconds, static_cast<double>(pages) * rounds / seconds);
  return 0;
}

/// Writes the DOCX files; run in a child process, so that the memory it took to make them is
/// not in the measuring process's baseline.
void write_docx_files(std::size_t total_mb, std::size_t file_mb, const std::string& dir) {
  std::filesystem::create_directories(dir);
  Prose prose;
  std::size_t written = 0, files = 0;
  while (written < total_mb << 20) {
    std::vector<sluice::test::OfficeParagraph> paragraphs;
    std::size_t bytes = 0;
    // Prose and markup deflate about 3:1 (measured), so three bytes of it per byte of DOCX.
    while (bytes < (file_mb << 20) * 3) {
      if (paragraphs.size() % 20 == 0) paragraphs.push_back({1, prose.line(5)});
      paragraphs.push_back({0, prose.line(60)});
      bytes += paragraphs.back().text.size() + 120;
    }
    auto docx = sluice::test::make_docx(paragraphs, "Bench");
    std::ofstream(dir + "/file" + std::to_string(files++) + ".docx", std::ios::binary) << docx;
    written += docx.size();
  }
}

int bench_docx(std::size_t total_mb, std::size_t file_mb, const std::string& dir) {
  auto child = ::fork();
  if (child == 0) {
    write_docx_files(total_mb, file_mb, dir);
    std::_Exit(0);
  }
  int status = 0;
  ::waitpid(child, &status, 0);
  std::vector<std::string> paths;
  std::size_t written = 0;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    paths.push_back(entry.path().string());
    written += entry.file_size();
  }
  auto before = rss_anon_kib();
  std::size_t peak = before, text_bytes = 0;
  auto start = Clock::now();
  for (const auto& path : paths) {
    int fd = ::open(path.c_str(), O_RDONLY);
    struct stat st {};
    ::fstat(fd, &st);
    auto size = static_cast<std::size_t>(st.st_size);
    void* map = ::mmap(nullptr, size, PROT_READ, MAP_PRIVATE, fd, 0);
    ::close(fd);
    {
      auto extracted = sluice::rag::extract_docx(std::string_view(static_cast<const char*>(map), size), path, {});
      if (!extracted) {
        std::fprintf(stderr, "%s\n", extracted.error().message.c_str());
        return 1;
      }
      text_bytes += extracted->text.size();
      peak = std::max(peak, rss_anon_kib());
    }
    ::munmap(map, size);
  }
  double seconds = std::chrono::duration<double>(Clock::now() - start).count();
  std::printf(
      "docx: %zu files, %.1f MiB of DOCX, %.1f MiB of text in %.2f s (%.1f MiB/s of DOCX); "
      "anonymous memory growth %.1f MiB (RssAnon %zu → peak %zu KiB)\n",
      paths.size(), static_cast<double>(written) / (1 << 20), static_cast<double>(text_bytes) / (1 << 20), seconds,
      static_cast<double>(written) / (1 << 20) / seconds, static_cast<double>(peak - before) / 1024, before, peak);
  std::filesystem::remove_all(dir);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  std::string mode = argc > 1 ? argv[1] : "pdf";
  auto arg = [&](int i, long fallback) { return argc > i ? std::atol(argv[i]) : fallback; };
  if (mode == "pdf") return bench_pdf(static_cast<std::size_t>(arg(2, 50)), static_cast<int>(arg(3, 20)));
  if (mode == "write-docx") {  // for bench/document_ingest.sh
    write_docx_files(static_cast<std::size_t>(arg(3, 100)), static_cast<std::size_t>(arg(4, 2)), argv[2]);
    return 0;
  }
  if (mode == "docx")
    return bench_docx(static_cast<std::size_t>(arg(2, 100)), static_cast<std::size_t>(arg(3, 2)),
                      argc > 4 ? argv[4] : "/tmp/sluice-docx-bench");
  std::fprintf(stderr, "usage: %s pdf [pages] [rounds] | docx [total_mb] [file_mb] [dir] | write-docx dir ...\n",
               argv[0]);
  return 2;
}
