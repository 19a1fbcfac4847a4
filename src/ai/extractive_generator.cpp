#include "sluice/ai/extractive_generator.hpp"

#include "text_features.hpp"

#include <algorithm>
#include <cctype>

namespace sluice::ai {

namespace {

std::vector<std::string_view> sentences(std::string_view text) {
  std::vector<std::string_view> out;
  std::size_t start = 0;
  for (std::size_t i = 0; i <= text.size(); ++i) {
    // A stop ends a sentence only before a space or the end: "Boost.Asio" and "3.5" stay whole.
    bool is_end = i == text.size() || text[i] == '\n' ||
                  ((text[i] == '.' || text[i] == '!' || text[i] == '?') &&
                   (i + 1 == text.size() || std::isspace(static_cast<unsigned char>(text[i + 1]))));
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
  auto list = detail::words(prompt);
  std::string out;
  for (auto it = list.rbegin(); it != list.rend(); ++it) {
    if (!out.empty()) out += ' ';
    out += *it;
  }
  return out;
}

/// The question and the material to answer it from.
std::pair<std::string, std::string> question_and_context(const GenerationRequest& request) {
  if (request.messages.empty()) return {request.prompt, request.context};
  std::size_t last_user = request.messages.size();
  for (std::size_t i = request.messages.size(); i-- > 0;)
    if (request.messages[i].role == "user") {
      last_user = i;
      break;
    }
  std::string context = request.context;
  for (std::size_t i = 0; i < request.messages.size(); ++i) {
    if (i == last_user) continue;
    if (!context.empty()) context += '\n';
    context += request.messages[i].content;
  }
  if (last_user == request.messages.size()) return {std::string(), std::move(context)};
  return {request.messages[last_user].content, std::move(context)};
}

std::size_t count_words(const GenerationRequest& request) {
  std::size_t n = detail::count_words(request.prompt) + detail::count_words(request.context);
  for (const auto& m : request.messages) n += detail::count_words(m.content);
  return n;
}

}  // namespace

std::string ExtractiveGenerator::answer(const GenerationRequest& request) {
  auto [question, context] = question_and_context(request);
  // Sorted word lists rather than sets: a few words each, searched rather than built node by node.
  std::vector<std::string> wanted;
  for (auto& w : detail::words(question))
    if (!detail::is_stopword(w)) wanted.push_back(std::move(w));
  std::sort(wanted.begin(), wanted.end());
  wanted.erase(std::unique(wanted.begin(), wanted.end()), wanted.end());
  auto list = sentences(context);
  std::vector<std::size_t> scores(list.size(), 0);
  std::size_t best = 0;
  for (std::size_t i = 0; i < list.size(); ++i) {
    auto unique = detail::words(list[i]);
    std::sort(unique.begin(), unique.end());
    unique.erase(std::unique(unique.begin(), unique.end()), unique.end());
    scores[i] = static_cast<std::size_t>(std::count_if(unique.begin(), unique.end(), [&](const std::string& w) {
      return std::binary_search(wanted.begin(), wanted.end(), w);
    }));
    best = std::max(best, scores[i]);
  }
  if (best == 0) return reversed_words(question);
  // The three best sentences (ties: the earliest) scoring at least two thirds of the best, in
  // text order: close seconds add to the answer, sentences sharing one stray word do not.
  std::vector<std::size_t> order(list.size());
  for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::stable_sort(order.begin(), order.end(), [&](auto a, auto b) { return scores[a] > scores[b]; });
  std::vector<std::size_t> chosen;
  for (auto i : order)
    if (chosen.size() < 3 && scores[i] * 3 >= best * 2) chosen.push_back(i);
  std::sort(chosen.begin(), chosen.end());
  std::string out;
  for (auto i : chosen) {
    if (!out.empty()) out += ' ';
    out += list[i];
  }
  return out;
}

std::vector<std::string> split_pieces(std::string_view text) {
  std::vector<std::string> pieces;
  std::size_t i = 0;
  while (i < text.size()) {
    std::size_t start = i;
    while (i < text.size() && std::isspace(static_cast<unsigned char>(text[i]))) ++i;
    while (i < text.size() && !std::isspace(static_cast<unsigned char>(text[i]))) ++i;
    pieces.emplace_back(text.substr(start, i - start));
  }
  return pieces;
}

boost::asio::awaitable<core::Result<Generation>> ExtractiveGenerator::generate(GenerationRequest request,
                                                                               PieceSink on_piece) {
  auto text = co_await compute_.run([&] { return answer(request); });
  Generation result;
  result.usage.prompt_tokens = count_words(request);
  // A stop sequence ends the answer before it; then at most max_tokens words.
  std::size_t cut = text.size();
  for (const auto& stop : request.params.stop)
    if (!stop.empty()) cut = std::min(cut, text.find(stop));
  text.resize(cut);
  auto pieces = split_pieces(text);
  if (pieces.size() > request.params.max_tokens) {
    pieces.resize(request.params.max_tokens);
    result.finish_reason = "length";
  }
  for (auto& piece : pieces) {
    result.text += piece;
    ++result.usage.completion_tokens;
    if (on_piece && !co_await on_piece(piece)) break;
  }
  co_return result;
}

std::string prompt_text(const GenerationRequest& request) {
  if (request.messages.empty()) return request.prompt;
  std::string out;
  for (const auto& m : request.messages) {
    if (!out.empty()) out += '\n';
    out += m.content;
  }
  return out;
}

}  // namespace sluice::ai
