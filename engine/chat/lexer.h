// Splits template source into pieces (text, {{ output }} and {% statement %} tags, each tag with
// its expression tokens), applying Jinja's whitespace rules as transformers configures them:
// trim_blocks (a newline right after a block or comment tag is dropped), lstrip_blocks (spaces
// and tabs before a block or comment tag at the start of a line are dropped), `-` on a tag side
// strips all whitespace on that side, `+` keeps it; newlines are normalized to \n and a single
// trailing newline is dropped. {# comments #} vanish and {% raw %} bodies become text.
#ifndef HYBRIDSERVE_ENGINE_CHAT_LEXER_H_
#define HYBRIDSERVE_ENGINE_CHAT_LEXER_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"

namespace hybridserve::engine::chat {

enum class TokenType { kName, kString, kInt, kFloat, kOp };

struct Token {
  TokenType type;
  std::string text;  // name, decoded string, or operator
  int64_t int_value = 0;
  double float_value = 0.0;
  int line = 1;
};

enum class PieceKind { kText, kOutput, kStatement };

struct Piece {
  PieceKind kind;
  std::string text;  // kText only
  std::vector<Token> tokens;
  int line = 1;
};

// Errors (unclosed tags, bad characters, bad string escapes) name the line.
absl::StatusOr<std::vector<Piece>> LexTemplate(std::string_view source);

}  // namespace hybridserve::engine::chat

#endif  // HYBRIDSERVE_ENGINE_CHAT_LEXER_H_
