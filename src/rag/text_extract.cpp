// HTML and Markdown to plain text for the chunker (declared in chunker.hpp).
#include "sluice/rag/chunker.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>

namespace sluice::rag {

namespace {

std::string lower(std::string_view s) {
  std::string out(s);
  for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

void append_utf8(std::string& out, std::uint32_t cp) {
  if (cp == 0 || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) cp = 0xFFFD;
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xC0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xE0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
}

/// Appends `text` with its character references decoded (the common named ones and numeric).
void append_decoded(std::string& out, std::string_view text) {
  static constexpr std::array<std::pair<std::string_view, std::string_view>, 8> kNamed = {
      {{"amp", "&"}, {"lt", "<"}, {"gt", ">"}, {"quot", "\""}, {"apos", "'"}, {"nbsp", " "}, {"mdash", "—"},
       {"hellip", "…"}}};
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '&') {
      out += text[i];
      continue;
    }
    auto semi = text.find(';', i);
    if (semi == std::string_view::npos || semi - i > 10) {
      out += '&';
      continue;
    }
    auto name = text.substr(i + 1, semi - i - 1);
    if (!name.empty() && name[0] == '#') {
      std::uint32_t cp = 0;
      bool is_hex = name.size() > 1 && (name[1] == 'x' || name[1] == 'X');
      auto digits = name.substr(is_hex ? 2 : 1);
      auto [ptr, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), cp, is_hex ? 16 : 10);
      if (ec != std::errc() || ptr != digits.data() + digits.size()) {
        out += '&';
        continue;
      }
      append_utf8(out, cp);
      i = semi;
      continue;
    }
    auto it = std::find_if(kNamed.begin(), kNamed.end(), [&](const auto& e) { return e.first == name; });
    if (it == kNamed.end()) {
      out += '&';
      continue;
    }
    out += it->second;
    i = semi;
  }
}

bool is_block(std::string_view tag) {
  static constexpr std::array<std::string_view, 24> kBlocks = {
      "p",  "div", "br",  "li",      "ul",      "ol",    "h1",     "h2",     "h3",   "h4",   "h5",  "h6",
      "tr", "td",  "th",  "table",   "section", "article", "header", "footer", "pre", "blockquote", "hr", "dd"};
  return std::find(kBlocks.begin(), kBlocks.end(), tag) != kBlocks.end();
}

bool is_paragraph(std::string_view tag) {
  return tag == "p" || tag == "div" || tag == "section" || tag == "article" || tag == "table" || tag == "pre" ||
         tag == "blockquote" || tag == "ul" || tag == "ol" || (tag.size() == 2 && tag[0] == 'h' && tag[1] >= '1' && tag[1] <= '6');
}

/// Collapses runs of spaces and tabs, keeps at most one blank line, trims.
std::string tidy(std::string_view text) {
  std::string out;
  std::size_t newlines = 0;
  bool pending_space = false;
  for (char c : text) {
    if (c == '\r') continue;
    if (c == '\n') {
      ++newlines;
      pending_space = false;
      continue;
    }
    if (c == ' ' || c == '\t' || c == '\f' || c == '\v') {
      pending_space = true;
      continue;
    }
    if (!out.empty()) {
      if (newlines > 0) out.append(std::min<std::size_t>(newlines, 2), '\n');
      else if (pending_space) out += ' ';
    }
    newlines = 0;
    pending_space = false;
    out += c;
  }
  return out;
}

}  // namespace

std::string html_to_text(std::string_view html, std::string* title) {
  std::string out;
  std::size_t i = 0;
  while (i < html.size()) {
    auto open = html.find('<', i);
    append_decoded(out, html.substr(i, open == std::string_view::npos ? std::string_view::npos : open - i));
    if (open == std::string_view::npos) break;
    if (html.substr(open, 4) == "<!--") {
      auto close = html.find("-->", open + 4);
      i = close == std::string_view::npos ? html.size() : close + 3;
      continue;
    }
    auto close = html.find('>', open);
    if (close == std::string_view::npos) break;
    auto inside = html.substr(open + 1, close - open - 1);
    bool is_end = !inside.empty() && inside[0] == '/';
    auto name_begin = is_end ? 1 : 0;
    auto name_end = inside.find_first_of(" \t\r\n/>", static_cast<std::size_t>(name_begin));
    auto tag = lower(inside.substr(name_begin, name_end == std::string_view::npos ? std::string_view::npos
                                                                                  : name_end - name_begin));
    i = close + 1;
    if (!is_end && (tag == "script" || tag == "style" || tag == "head" || tag == "template" || tag == "title")) {
      // Skip to the matching end tag; <title> text becomes the document's title.
      auto end_tag = "</" + tag;
      std::size_t end = i;
      while (end < html.size() && lower(html.substr(end, end_tag.size())) != end_tag) ++end;
      if (tag == "title" && title && title->empty()) {
        std::string decoded;
        append_decoded(decoded, html.substr(i, end - i));
        *title = tidy(decoded);
      }
      if (tag == "head" && title && title->empty()) html_to_text(html.substr(i, end - i), title);
      auto after = html.find('>', end);
      i = after == std::string_view::npos ? html.size() : after + 1;
      continue;
    }
    // Inline tags join their neighbours ("<b>bold</b>face" → "boldface"); a list item or a
    // line break starts a line, a paragraph-like block is set off by a blank line.
    if (is_paragraph(tag)) out += "\n\n";
    else if (is_block(tag) && !is_end) out += "\n";
  }
  return tidy(out);
}

std::string markdown_to_text(std::string_view markdown, std::string* title) {
  std::string out;
  bool in_fence = false;
  std::size_t i = 0;
  while (i <= markdown.size()) {
    auto eol = markdown.find('\n', i);
    auto line = markdown.substr(i, eol == std::string_view::npos ? std::string_view::npos : eol - i);
    i = eol == std::string_view::npos ? markdown.size() + 1 : eol + 1;
    auto trimmed = line.substr(std::min(line.find_first_not_of(" \t"), line.size()));
    if (trimmed.starts_with("```") || trimmed.starts_with("~~~")) {
      in_fence = !in_fence;
      out += '\n';
      continue;
    }
    if (in_fence) {
      out.append(line);
      out += '\n';
      continue;
    }
    bool is_heading = false;
    if (trimmed.starts_with('#')) {
      auto text_begin = trimmed.find_first_not_of('#');
      if (text_begin != std::string_view::npos && text_begin <= 6 && trimmed[text_begin] == ' ') {
        trimmed = trimmed.substr(text_begin + 1);
        is_heading = true;
      }
    } else if (trimmed.starts_with("> ")) {
      trimmed = trimmed.substr(2);
    } else if (trimmed.size() > 1 && (trimmed[0] == '-' || trimmed[0] == '*' || trimmed[0] == '+') &&
               trimmed[1] == ' ') {
      trimmed = trimmed.substr(2);
    }
    // Inline syntax: ![alt](url) and [text](url) keep their text; emphasis and code marks go.
    std::string text;
    for (std::size_t j = 0; j < trimmed.size(); ++j) {
      char c = trimmed[j];
      if (c == '!' && j + 1 < trimmed.size() && trimmed[j + 1] == '[') continue;
      if (c == ']' && j + 1 < trimmed.size() && trimmed[j + 1] == '(') {
        auto close = trimmed.find(')', j + 2);
        if (close != std::string_view::npos) {
          j = close;
          continue;
        }
      }
      if (c == '[' || c == ']' || c == '*' || c == '`' || (c == '_' && (j == 0 || j + 1 == trimmed.size() ||
                                                                        trimmed[j - 1] == ' ' || trimmed[j + 1] == ' ')))
        continue;
      text += c;
    }
    if (is_heading && title && title->empty()) *title = text;
    out += text;
    out += is_heading ? "\n\n" : "\n";
  }
  return tidy(out);
}

}  // namespace sluice::rag
