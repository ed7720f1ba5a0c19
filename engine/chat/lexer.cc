#include "engine/chat/lexer.h"

#include <cerrno>
#include <cstdlib>
#include <limits>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "engine/chat/utf8_text.h"

namespace hybridserve::engine::chat {
namespace {

absl::Status LexError(int line, std::string_view what) {
  return absl::InvalidArgumentError(
      absl::StrCat("chat template line ", line, ": ", std::string(what)));
}

int CountNewlines(std::string_view text) {
  int n = 0;
  for (char c : text) n += c == '\n';
  return n;
}

// Length of the Python-whitespace character at text[pos], or 0.
size_t WhitespaceAt(std::string_view text, size_t pos) {
  const unsigned char c = static_cast<unsigned char>(text[pos]);
  if (c < 0x80) return IsPyWhitespace(c) ? 1 : 0;
  size_t len = (c & 0xE0) == 0xC0 ? 2 : (c & 0xF0) == 0xE0 ? 3 : (c & 0xF8) == 0xF0 ? 4 : 1;
  if (pos + len > text.size()) return 0;
  std::u32string cps = DecodeUtf8(text.substr(pos, len));
  return cps.size() == 1 && IsPyWhitespace(cps[0]) ? len : 0;
}

size_t SkipWhitespace(std::string_view text, size_t pos) {
  while (pos < text.size()) {
    size_t n = WhitespaceAt(text, pos);
    if (n == 0) break;
    pos += n;
  }
  return pos;
}

std::string RStripWhitespace(std::string_view text) {
  std::u32string cps = DecodeUtf8(text);
  size_t end = cps.size();
  while (end > 0 && IsPyWhitespace(cps[end - 1])) --end;
  return EncodeUtf8(std::u32string_view(cps).substr(0, end));
}

// lstrip_blocks: drop the whitespace between the last newline of `text` and a block tag.
void LStripBlock(std::string* text, bool line_starting) {
  size_t l_pos = text->rfind('\n');
  l_pos = l_pos == std::string::npos ? 0 : l_pos + 1;
  if (l_pos == 0 && !line_starting) return;
  if (SkipWhitespace(*text, l_pos) == text->size()) text->resize(l_pos);
}

bool IsNameStart(unsigned char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c >= 0x80;
}
bool IsNameChar(unsigned char c) { return IsNameStart(c) || (c >= '0' && c <= '9'); }
bool IsDigitChar(char c) { return c >= '0' && c <= '9'; }

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Python unicode-escape decoding of a string literal body.
absl::StatusOr<std::string> Unescape(std::string_view body, int line) {
  std::string out;
  for (size_t i = 0; i < body.size(); ++i) {
    if (body[i] != '\\' || i + 1 == body.size()) {
      out.push_back(body[i]);
      continue;
    }
    const char c = body[++i];
    switch (c) {
      case '\n':
        break;
      case '\\':
        out.push_back('\\');
        break;
      case '\'':
        out.push_back('\'');
        break;
      case '"':
        out.push_back('"');
        break;
      case 'a':
        out.push_back('\a');
        break;
      case 'b':
        out.push_back('\b');
        break;
      case 'f':
        out.push_back('\f');
        break;
      case 'n':
        out.push_back('\n');
        break;
      case 'r':
        out.push_back('\r');
        break;
      case 't':
        out.push_back('\t');
        break;
      case 'v':
        out.push_back('\v');
        break;
      case 'x':
      case 'u':
      case 'U': {
        const size_t digits = c == 'x' ? 2 : c == 'u' ? 4 : 8;
        uint32_t cp = 0;
        for (size_t k = 0; k < digits; ++k) {
          int h = i + 1 + k < body.size() ? HexValue(body[i + 1 + k]) : -1;
          if (h < 0)
            return LexError(line, absl::StrCat("truncated \\", std::string(1, c),
                                               " escape in a string literal"));
          cp = cp * 16 + static_cast<uint32_t>(h);
        }
        if (cp > 0x10FFFF) return LexError(line, "\\U escape out of range in a string literal");
        i += digits;
        AppendUtf8(cp, &out);
        break;
      }
      default:
        if (c >= '0' && c <= '7') {
          uint32_t cp = static_cast<uint32_t>(c - '0');
          for (int k = 0; k < 2 && i + 1 < body.size() && body[i + 1] >= '0' && body[i + 1] <= '7';
               ++k) {
            cp = cp * 8 + static_cast<uint32_t>(body[++i] - '0');
          }
          AppendUtf8(cp, &out);
        } else if (c == 'N') {
          return LexError(line, "\\N{...} escapes are not supported; write the character itself");
        } else {
          out.push_back('\\');
          out.push_back(c);
        }
    }
  }
  return out;
}

// Digits with single underscores between them ("1_000"); returns the end position.
size_t ScanDigits(std::string_view s, size_t pos) {
  size_t end = pos;
  while (end < s.size() && IsDigitChar(s[end])) {
    ++end;
    if (end + 1 < s.size() && s[end] == '_' && IsDigitChar(s[end + 1])) ++end;
  }
  return end;
}

std::string WithoutUnderscores(std::string_view s) {
  std::string out;
  for (char c : s) {
    if (c != '_') out.push_back(c);
  }
  return out;
}

absl::Status LexNumber(std::string_view s, size_t* pos, int line, std::vector<Token>* tokens) {
  const size_t start = *pos;
  Token token{TokenType::kInt, "", 0, 0.0, line};
  const bool after_dot = start > 0 && s[start - 1] == '.';
  if (s[start] == '0' && start + 1 < s.size() &&
      std::string_view("bBoOxX").find(s[start + 1]) != std::string_view::npos) {
    const char kind = static_cast<char>(s[start + 1] | 0x20);
    const int base = kind == 'b' ? 2 : kind == 'o' ? 8 : 16;
    size_t end = start + 2;
    uint64_t value = 0;
    bool any = false;
    while (end < s.size()) {
      if (s[end] == '_') {
        ++end;
        continue;
      }
      int d = HexValue(s[end]);
      if (d < 0 || d >= base) break;
      if (value > (static_cast<uint64_t>(std::numeric_limits<int64_t>::max()) - d) / base) {
        return LexError(line, "integer literal too large");
      }
      value = value * base + static_cast<uint64_t>(d);
      any = true;
      ++end;
    }
    if (!any) return LexError(line, "malformed integer literal");
    token.int_value = static_cast<int64_t>(value);
    tokens->push_back(token);
    *pos = end;
    return absl::OkStatus();
  }
  size_t end = ScanDigits(s, start);
  bool is_float = false;
  if (!after_dot && end + 1 < s.size() && s[end] == '.' && IsDigitChar(s[end + 1])) {
    end = ScanDigits(s, end + 1);
    is_float = true;
  }
  if (!after_dot && end < s.size() && (s[end] == 'e' || s[end] == 'E')) {
    size_t e = end + 1;
    if (e < s.size() && (s[e] == '+' || s[e] == '-')) ++e;
    if (e < s.size() && IsDigitChar(s[e])) {
      end = ScanDigits(s, e);
      is_float = true;
    }
  }
  std::string text = WithoutUnderscores(s.substr(start, end - start));
  if (is_float) {
    token.type = TokenType::kFloat;
    token.float_value = std::strtod(text.c_str(), nullptr);
  } else {
    errno = 0;
    char* parse_end = nullptr;
    long long value = std::strtoll(text.c_str(), &parse_end, 10);
    if (errno == ERANGE) return LexError(line, "integer literal too large");
    token.int_value = value;
  }
  tokens->push_back(token);
  *pos = end;
  return absl::OkStatus();
}

constexpr std::string_view kOperators[] = {"//", "**", "==", "!=", ">=", "<=", "+", "-", "/",
                                           "*",  "%",  "~",  "[",  "]",  "(",  ")", "{", "}",
                                           ">",  "<",  "=",  ".",  ":",  "|",  ",", ";"};

// Lexes the inside of a {{ }} or {% %} tag starting at *pos, up to and including its end marker.
// Sets *strip_after to '-' or '+' or 0 for the end marker's whitespace control.
absl::Status LexTag(std::string_view s, bool is_block, size_t* pos, int* line, char* strip_after,
                    std::vector<Token>* tokens) {
  const int open_line = *line;
  std::string balance;
  const char closer = is_block ? '%' : '}';
  size_t p = *pos;
  while (true) {
    p = [&] {
      size_t q = SkipWhitespace(s, p);
      *line += CountNewlines(s.substr(p, q - p));
      return q;
    }();
    if (p >= s.size()) {
      return LexError(
          open_line, absl::StrCat("unclosed '", is_block ? "{%" : "{{", "' tag: add the matching '",
                                  is_block ? "%}" : "}}", "'"));
    }
    if (balance.empty()) {
      const bool has_sign = s[p] == '-' || (is_block && s[p] == '+');
      const size_t q = has_sign ? p + 1 : p;
      if (q + 1 < s.size() && s[q] == closer && s[q + 1] == '}') {
        *strip_after = has_sign ? s[p] : 0;
        *pos = q + 2;
        return absl::OkStatus();
      }
    }
    const unsigned char c = static_cast<unsigned char>(s[p]);
    if (IsDigitChar(static_cast<char>(c))) {
      auto status = LexNumber(s, &p, *line, tokens);
      if (!status.ok()) return status;
      continue;
    }
    if (IsNameStart(c)) {
      size_t end = p;
      while (end < s.size() && IsNameChar(static_cast<unsigned char>(s[end]))) ++end;
      tokens->push_back(Token{TokenType::kName, std::string(s.substr(p, end - p)), 0, 0.0, *line});
      p = end;
      continue;
    }
    if (c == '\'' || c == '"') {
      size_t end = p + 1;
      while (end < s.size() && s[end] != static_cast<char>(c)) end += s[end] == '\\' ? 2 : 1;
      if (end >= s.size()) return LexError(*line, "unterminated string literal");
      auto text = Unescape(s.substr(p + 1, end - p - 1), *line);
      if (!text.ok()) return text.status();
      tokens->push_back(Token{TokenType::kString, *std::move(text), 0, 0.0, *line});
      *line += CountNewlines(s.substr(p, end - p));
      p = end + 1;
      continue;
    }
    bool matched = false;
    for (std::string_view op : kOperators) {
      if (s.substr(p, op.size()) != op) continue;
      if (op == "(" || op == "[" || op == "{") {
        balance.push_back(op == "(" ? ')' : op == "[" ? ']' : '}');
      } else if (op == ")" || op == "]" || op == "}") {
        if (balance.empty() || balance.back() != op[0]) {
          return LexError(*line, absl::StrCat("unexpected '", std::string(op), "'"));
        }
        balance.pop_back();
      }
      tokens->push_back(Token{TokenType::kOp, std::string(op), 0, 0.0, *line});
      p += op.size();
      matched = true;
      break;
    }
    if (!matched) {
      return LexError(
          *line, absl::StrCat("unexpected character '", std::string(1, s[p]), "' inside a tag"));
    }
  }
}

// After a tag's end marker: `-` strips all whitespace, trim_blocks drops one newline after block
// and comment tags.
size_t AfterTagEnd(std::string_view s, size_t pos, char sign, bool trim_newline) {
  if (sign == '-') return SkipWhitespace(s, pos);
  if (sign == 0 && trim_newline && pos < s.size() && s[pos] == '\n') return pos + 1;
  return pos;
}

// Matches `{%[-+]? raw [-+]?%}` (or endraw) at pos; returns the end or npos.
size_t MatchRawTag(std::string_view s, size_t pos, std::string_view word, char* sign_before,
                   char* sign_after) {
  if (s.substr(pos, 2) != "{%") return std::string_view::npos;
  size_t p = pos + 2;
  *sign_before = 0;
  if (p < s.size() && (s[p] == '-' || s[p] == '+')) *sign_before = s[p++];
  p = SkipWhitespace(s, p);
  if (s.substr(p, word.size()) != word) return std::string_view::npos;
  p = SkipWhitespace(s, p + word.size());
  *sign_after = 0;
  if (p < s.size() && (s[p] == '-' || s[p] == '+')) *sign_after = s[p++];
  if (s.substr(p, 2) != "%}") return std::string_view::npos;
  return p + 2;
}

std::string NormalizeNewlines(std::string_view source) {
  std::string out;
  out.reserve(source.size());
  for (size_t i = 0; i < source.size(); ++i) {
    if (source[i] == '\r') {
      out.push_back('\n');
      if (i + 1 < source.size() && source[i + 1] == '\n') ++i;
    } else {
      out.push_back(source[i]);
    }
  }
  if (!out.empty() && out.back() == '\n') out.pop_back();
  return out;
}

}  // namespace

absl::StatusOr<std::vector<Piece>> LexTemplate(std::string_view source) {
  const std::string s = NormalizeNewlines(source);
  std::vector<Piece> pieces;
  size_t pos = 0;
  int line = 1;
  bool line_starting = true;
  auto emit_text = [&](std::string text, int text_line) {
    if (!text.empty()) pieces.push_back(Piece{PieceKind::kText, std::move(text), {}, text_line});
  };
  // Whitespace control on the text before a tag.
  auto control_text = [&](std::string text, char sign, bool lstrip) {
    if (sign == '-') return RStripWhitespace(text);
    if (sign != '+' && lstrip) LStripBlock(&text, line_starting);
    return text;
  };
  while (pos < s.size()) {
    size_t start = pos;
    while (true) {
      start = s.find('{', start);
      if (start == std::string::npos || start + 1 >= s.size()) break;
      const char k = s[start + 1];
      if (k == '{' || k == '%' || k == '#') break;
      ++start;
    }
    if (start == std::string::npos || start + 1 >= s.size()) {
      emit_text(s.substr(pos), line);
      break;
    }
    const std::string_view text = std::string_view(s).substr(pos, start - pos);
    const char kind = s[start + 1];
    char sign =
        start + 2 < s.size() && (s[start + 2] == '-' || s[start + 2] == '+') ? s[start + 2] : 0;
    char raw_before = 0;
    char raw_after = 0;
    const size_t raw_end = MatchRawTag(s, start, "raw", &raw_before, &raw_after);
    emit_text(control_text(std::string(text), sign, kind != '{'), line);
    line += CountNewlines(text);
    const int tag_line = line;
    size_t p = start + 2 + (sign != 0 ? 1 : 0);

    if (raw_end != std::string::npos) {
      // The raw body runs to the first {% endraw %}.
      size_t search = raw_end;
      size_t end_start = std::string::npos;
      size_t end_end = std::string::npos;
      char end_before = 0;
      char end_after = 0;
      while ((search = s.find("{%", search)) != std::string::npos) {
        end_end = MatchRawTag(s, search, "endraw", &end_before, &end_after);
        if (end_end != std::string::npos) {
          end_start = search;
          break;
        }
        search += 2;
      }
      if (end_start == std::string::npos) {
        return LexError(tag_line, "missing {% endraw %} for this {% raw %}");
      }
      size_t body_start = AfterTagEnd(s, raw_end, raw_after, true);
      line += CountNewlines(std::string_view(s).substr(start, body_start - start));
      std::string_view body = std::string_view(s).substr(body_start, end_start - body_start);
      line_starting = body_start > 0 && s[body_start - 1] == '\n';
      emit_text(control_text(std::string(body), end_before, true), line);
      pos = AfterTagEnd(s, end_end, end_after, true);
      line += CountNewlines(std::string_view(s).substr(body_start, pos - body_start));
      line_starting = pos > 0 && s[pos - 1] == '\n';
      continue;
    }

    if (kind == '#') {
      size_t end = s.find("#}", p);
      if (end == std::string::npos) {
        return LexError(tag_line, "unclosed '{#' comment: add the matching '#}'");
      }
      const char end_sign = end > p && (s[end - 1] == '-' || s[end - 1] == '+') ? s[end - 1] : 0;
      pos = AfterTagEnd(s, end + 2, end_sign, true);
    } else {
      Piece piece{kind == '%' ? PieceKind::kStatement : PieceKind::kOutput, "", {}, tag_line};
      char end_sign = 0;
      int tag_lines = line;
      auto status = LexTag(s, kind == '%', &p, &tag_lines, &end_sign, &piece.tokens);
      if (!status.ok()) return status;
      pos = AfterTagEnd(s, p, end_sign, kind == '%');
      pieces.push_back(std::move(piece));
    }
    line += CountNewlines(std::string_view(s).substr(start, pos - start));
    line_starting = pos > 0 && s[pos - 1] == '\n';
  }
  return pieces;
}

}  // namespace hybridserve::engine::chat
