// Statement grammar: text, {{ output }}, and the tags for / if / set / macro / filter /
// break / continue / generation. Other Jinja tags are named in an error at parse time.
#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "base/status_macros.h"
#include "engine/chat/parser.h"

namespace hybridserve::engine::chat {
namespace {

bool IsUnsupportedTag(std::string_view name) {
  for (std::string_view tag : {"include", "import", "from", "extends", "block", "call", "with",
                               "autoescape", "do", "trans", "pluralize", "recursive", "print"}) {
    if (name == tag) return true;
  }
  return false;
}

}  // namespace

absl::StatusOr<Body> ParseTemplate(std::string_view source) {
  HS_ASSIGN_OR_RETURN(std::vector<Piece> pieces, LexTemplate(source));
  Parser parser(std::move(pieces));
  return parser.ParseAll();
}

absl::StatusOr<Body> Parser::ParseAll() {
  Body body;
  std::string found;
  HS_RETURN_IF_ERROR(ParseBody(&body, {}, &found));
  return body;
}

absl::Status Parser::ExpectTagEnd() {
  if (!AtTagEnd()) {
    return Error(absl::StrCat("expected the end of the tag, got ", Describe(Peek())));
  }
  ++piece_;
  token_ = 0;
  return absl::OkStatus();
}

absl::Status Parser::ParseBody(Body* body, std::initializer_list<std::string_view> ends,
                               std::string* found) {
  if (++depth_ > kMaxNestingDepth) {
    return Error(absl::StrCat("blocks nest deeper than ", kMaxNestingDepth));
  }
  struct Leave {
    int* d;
    ~Leave() { --*d; }
  } leave{&depth_};
  while (piece_ < pieces_.size()) {
    Piece& piece = pieces_[piece_];
    token_ = 0;
    if (piece.kind == PieceKind::kText) {
      auto stmt = std::make_unique<Stmt>();
      stmt->kind = Stmt::Kind::kText;
      stmt->line = piece.line;
      stmt->text = std::move(piece.text);
      body->push_back(std::move(stmt));
      ++piece_;
      continue;
    }
    if (piece.kind == PieceKind::kOutput) {
      auto stmt = std::make_unique<Stmt>();
      stmt->kind = Stmt::Kind::kOutput;
      stmt->line = piece.line;
      HS_ASSIGN_OR_RETURN(stmt->expr, ParseTuple(true));
      HS_RETURN_IF_ERROR(ExpectTagEnd());
      body->push_back(std::move(stmt));
      continue;
    }
    const Token* t = Peek();
    if (t == nullptr || t->type != TokenType::kName) {
      return Error(absl::StrCat("expected a tag name after '{%', got ", Describe(t)));
    }
    for (std::string_view end : ends) {
      if (t->text == end) {
        *found = Next().text;
        return absl::OkStatus();
      }
    }
    HS_RETURN_IF_ERROR(ParseStatement(body));
  }
  if (ends.size() != 0) {
    std::string expected;
    for (std::string_view end : ends) {
      absl::StrAppend(&expected, expected.empty() ? "" : " or ", "{% ", std::string(end), " %}");
    }
    return absl::InvalidArgumentError(
        absl::StrCat("chat template: unexpected end of template; expected ", expected));
  }
  return absl::OkStatus();
}

absl::Status Parser::ParseStatement(Body* body) {
  auto stmt = std::make_unique<Stmt>();
  stmt->line = line();
  const std::string tag = Next().text;
  if (tag == "if") {
    stmt->kind = Stmt::Kind::kIf;
    HS_RETURN_IF_ERROR(ParseIf(stmt.get()));
  } else if (tag == "for") {
    stmt->kind = Stmt::Kind::kFor;
    HS_RETURN_IF_ERROR(ParseFor(stmt.get()));
  } else if (tag == "set") {
    HS_RETURN_IF_ERROR(ParseSet(stmt.get()));
  } else if (tag == "macro") {
    stmt->kind = Stmt::Kind::kMacro;
    HS_RETURN_IF_ERROR(ParseMacro(stmt.get()));
  } else if (tag == "filter") {
    stmt->kind = Stmt::Kind::kFilterBlock;
    HS_RETURN_IF_ERROR(ParseFilterBlock(stmt.get()));
  } else if (tag == "break" || tag == "continue") {
    if (loop_depth_ == 0) {
      return Error(absl::StrCat("'{% ", tag, " %}' outside of a for loop"));
    }
    stmt->kind = tag == "break" ? Stmt::Kind::kBreak : Stmt::Kind::kContinue;
    HS_RETURN_IF_ERROR(ExpectTagEnd());
  } else if (tag == "generation") {
    stmt->kind = Stmt::Kind::kScope;
    HS_RETURN_IF_ERROR(ExpectTagEnd());
    std::string found;
    HS_RETURN_IF_ERROR(ParseBody(&stmt->body, {"endgeneration"}, &found));
    HS_RETURN_IF_ERROR(ExpectTagEnd());
  } else if (IsUnsupportedTag(tag)) {
    return Error(absl::StrCat("unsupported construct '{% ", tag,
                              " %}': the chat template interpreter does not implement it"));
  } else if (tag.rfind("end", 0) == 0 || tag == "else" || tag == "elif") {
    return Error(absl::StrCat("unexpected '{% ", tag, " %}' (no open block it closes)"));
  } else {
    return Error(absl::StrCat("unknown tag '{% ", tag, " %}'"));
  }
  body->push_back(std::move(stmt));
  return absl::OkStatus();
}

absl::Status Parser::ParseIf(Stmt* stmt) {
  while (true) {
    HS_ASSIGN_OR_RETURN(auto condition, ParseTuple(false));
    HS_RETURN_IF_ERROR(ExpectTagEnd());
    stmt->conditions.push_back(std::move(condition));
    stmt->bodies.emplace_back();
    std::string found;
    HS_RETURN_IF_ERROR(ParseBody(&stmt->bodies.back(), {"elif", "else", "endif"}, &found));
    if (found == "elif") continue;
    if (found == "else") {
      HS_RETURN_IF_ERROR(ExpectTagEnd());
      HS_RETURN_IF_ERROR(ParseBody(&stmt->else_body, {"endif"}, &found));
    }
    return ExpectTagEnd();
  }
}

absl::StatusOr<std::vector<std::string>> Parser::ParseTargets() {
  std::vector<std::string> targets;
  const bool parens = IsOp("(");
  if (parens) Next();
  while (true) {
    HS_ASSIGN_OR_RETURN(std::string name, ExpectName());
    targets.push_back(std::move(name));
    if (!IsOp(",")) break;
    Next();
    if (parens && IsOp(")")) break;
    if (!parens && (IsName("in") || IsOp("="))) break;
  }
  if (parens) {
    HS_RETURN_IF_ERROR(Expect(")"));
  }
  return targets;
}

absl::Status Parser::ParseFor(Stmt* stmt) {
  HS_ASSIGN_OR_RETURN(stmt->targets, ParseTargets());
  if (!IsName("in")) return Error(absl::StrCat("expected 'in', got ", Describe(Peek())));
  Next();
  HS_ASSIGN_OR_RETURN(stmt->expr, ParseTuple(false));
  if (IsName("if")) {
    Next();
    HS_ASSIGN_OR_RETURN(stmt->condition, ParseExpression(true));
  }
  if (IsName("recursive")) {
    return Error(
        "unsupported construct 'recursive' loops: the chat template interpreter does not "
        "implement them");
  }
  HS_RETURN_IF_ERROR(ExpectTagEnd());
  std::string found;
  ++loop_depth_;
  absl::Status status = ParseBody(&stmt->body, {"else", "endfor"}, &found);
  --loop_depth_;
  HS_RETURN_IF_ERROR(status);
  if (found == "else") {
    HS_RETURN_IF_ERROR(ExpectTagEnd());
    HS_RETURN_IF_ERROR(ParseBody(&stmt->else_body, {"endfor"}, &found));
  }
  return ExpectTagEnd();
}

absl::Status Parser::ParseSet(Stmt* stmt) {
  stmt->kind = Stmt::Kind::kSet;
  if (Peek() != nullptr && Peek()->type == TokenType::kName && IsOp(".", 1)) {
    stmt->targets.push_back(Next().text);
    Next();
    HS_ASSIGN_OR_RETURN(stmt->attr, ExpectName());
  } else {
    HS_ASSIGN_OR_RETURN(stmt->targets, ParseTargets());
  }
  if (IsOp("=")) {
    Next();
    HS_ASSIGN_OR_RETURN(stmt->expr, ParseTuple(true));
    return ExpectTagEnd();
  }
  if (stmt->targets.size() != 1 || !stmt->attr.empty()) {
    return Error("a block {% set %} assigns exactly one plain name");
  }
  stmt->kind = Stmt::Kind::kSetBlock;
  if (IsOp("|")) {
    Next();
    HS_ASSIGN_OR_RETURN(auto placeholder, Node(Expr::Kind::kBlockValue, line(), {}));
    HS_ASSIGN_OR_RETURN(stmt->expr, ParseFilter(std::move(placeholder), false));
  }
  HS_RETURN_IF_ERROR(ExpectTagEnd());
  std::string found;
  HS_RETURN_IF_ERROR(ParseBody(&stmt->body, {"endset"}, &found));
  return ExpectTagEnd();
}

absl::Status Parser::ParseMacro(Stmt* stmt) {
  HS_ASSIGN_OR_RETURN(stmt->name, ExpectName());
  HS_RETURN_IF_ERROR(Expect("("));
  while (!IsOp(")")) {
    if (!stmt->params.empty()) {
      HS_RETURN_IF_ERROR(Expect(","));
    }
    if (IsOp(")")) break;
    HS_ASSIGN_OR_RETURN(std::string param, ExpectName());
    stmt->params.push_back(std::move(param));
    if (IsOp("=")) {
      Next();
      HS_ASSIGN_OR_RETURN(auto value, ParseExpression(true));
      stmt->defaults.push_back(std::move(value));
    } else {
      if (!stmt->defaults.empty() && stmt->defaults.back() != nullptr) {
        return Error("non-default macro parameter follows a default one");
      }
      stmt->defaults.push_back(nullptr);
    }
  }
  Next();
  HS_RETURN_IF_ERROR(ExpectTagEnd());
  const int saved_loop_depth = loop_depth_;
  loop_depth_ = 0;
  std::string found;
  absl::Status status = ParseBody(&stmt->body, {"endmacro"}, &found);
  loop_depth_ = saved_loop_depth;
  HS_RETURN_IF_ERROR(status);
  return ExpectTagEnd();
}

absl::Status Parser::ParseFilterBlock(Stmt* stmt) {
  HS_ASSIGN_OR_RETURN(auto placeholder, Node(Expr::Kind::kBlockValue, line(), {}));
  HS_ASSIGN_OR_RETURN(stmt->expr, ParseFilter(std::move(placeholder), false));
  HS_RETURN_IF_ERROR(ExpectTagEnd());
  std::string found;
  HS_RETURN_IF_ERROR(ParseBody(&stmt->body, {"endfilter"}, &found));
  return ExpectTagEnd();
}

}  // namespace hybridserve::engine::chat
