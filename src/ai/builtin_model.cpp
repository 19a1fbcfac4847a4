#include "sluice/ai/model_service.hpp"

#include <algorithm>
#include <cctype>
#include <set>
#include <vector>

namespace sluice::ai {

namespace {

std::vector<std::string> words(std::string_view text) {
  std::vector<std::string> out;
  std::string current;
  for (char c : text) {
    if (std::isalnum(static_cast<unsigned char>(c))) {
      current += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    } else if (!current.empty()) {
      out.push_back(std::move(current));
      current.clear();
    }
  }
  if (!current.empty()) out.push_back(std::move(current));
  return out;
}

std::vector<std::string_view> sentences(std::string_view text) {
  std::vector<std::string_view> out;
  std::size_t start = 0;
  for (std::size_t i = 0; i <= text.size(); ++i) {
    bool is_end = i == text.size() || text[i] == '.' || text[i] == '!' || text[i] == '?' || text[i] == '\n';
    if (!is_end) continue;
    std::size_t end = i < text.size() && text[i] != '\n' ? i + 1 : i;
    auto sentence = text.substr(start, end - start);
    while (!sentence.empty() && std::isspace(static_cast<unsigned char>(sentence.front()))) sentence.remove_prefix(1);
    while (!sentence.empty() && std::isspace(static_cast<unsigned char>(sentence.back()))) sentence.remove_suffix(1);
    if (!sentence.empty()) out.push_back(sentence);
    start = i + 1;
  }
  return out;
}

std::string reversed_words(std::string_view prompt) {
  auto list = words(prompt);
  std::string out;
  for (auto it = list.rbegin(); it != list.rend(); ++it) {
    if (!out.empty()) out += ' ';
    out += *it;
  }
  return out;
}

}  // namespace

std::string BuiltinModel::generate(std::string_view prompt, std::string_view context) const {
  auto prompt_words = words(prompt);
  std::set<std::string> wanted(prompt_words.begin(), prompt_words.end());
  std::string_view best;
  std::size_t best_score = 0;
  for (auto sentence : sentences(context)) {
    auto sentence_words = words(sentence);
    std::set<std::string> unique(sentence_words.begin(), sentence_words.end());
    auto score = static_cast<std::size_t>(
        std::count_if(unique.begin(), unique.end(), [&](const std::string& w) { return wanted.contains(w); }));
    if (score > best_score) {
      best_score = score;
      best = sentence;
    }
  }
  if (best_score > 0) return std::string(best);
  return reversed_words(prompt);
}

}  // namespace sluice::ai
