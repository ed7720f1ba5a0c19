// Expression grammar, lowest precedence first: conditional (a if b else c), or, and, not,
// comparisons (== != < <= > >= in, not in; chained), + -, ~, * / // %, **, unary - +, then a
// primary with postfix .attr [index] (call) and | filter / is test.
#include <algorithm>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "base/status_macros.h"
#include "engine/chat/filters.h"
#include "engine/chat/parser.h"
#include "engine/chat/tests.h"

namespace hybridserve::engine::chat {

const Token* Parser::Peek(size_t ahead) const {
  if (piece_ >= pieces_.size()) return nullptr;
  const auto& tokens = pieces_[piece_].tokens;
  return token_ + ahead < tokens.size() ? &tokens[token_ + ahead] : nullptr;
}

bool Parser::IsOp(std::string_view op, size_t ahead) const {
  const Token* t = Peek(ahead);
  return t != nullptr && t->type == TokenType::kOp && t->text == op;
}

bool Parser::IsName(std::string_view name, size_t ahead) const {
  const Token* t = Peek(ahead);
  return t != nullptr && t->type == TokenType::kName && t->text == name;
}

int Parser::line() const {
  const Token* t = Peek();
  if (t != nullptr) return t->line;
  return piece_ < pieces_.size() ? pieces_[piece_].line
                                 : (pieces_.empty() ? 1 : pieces_.back().line);
}

std::string Parser::Describe(const Token* token) const {
  if (token == nullptr) return "end of tag";
  switch (token->type) {
    case TokenType::kString:
      return "a string";
    case TokenType::kInt:
    case TokenType::kFloat:
      return "a number";
    default:
      return absl::StrCat("'", token->text, "'");
  }
}

absl::Status Parser::Error(std::string_view what) const {
  return absl::InvalidArgumentError(
      absl::StrCat("chat template line ", line(), ": ", std::string(what)));
}

absl::Status Parser::Expect(std::string_view op) {
  if (!IsOp(op))
    return Error(absl::StrCat("expected '", std::string(op), "', got ", Describe(Peek())));
  Next();
  return absl::OkStatus();
}

absl::StatusOr<std::string> Parser::ExpectName() {
  const Token* t = Peek();
  if (t == nullptr || t->type != TokenType::kName) {
    return Error(absl::StrCat("expected a name, got ", Describe(t)));
  }
  return Next().text;
}

absl::StatusOr<Parser::ExprPtr> Parser::Node(Expr::Kind kind, int line,
                                             std::vector<ExprPtr> children, std::string name) {
  auto node = std::make_unique<Expr>();
  node->kind = kind;
  node->line = line;
  node->name = std::move(name);
  int depth = 0;
  for (const auto& child : children) {
    if (child != nullptr) depth = std::max(depth, child->depth);
  }
  node->depth = depth + 1;
  if (node->depth > kMaxNestingDepth) {
    return absl::ResourceExhaustedError(absl::StrCat(
        "chat template line ", line, ": expression nests deeper than ", kMaxNestingDepth));
  }
  node->children = std::move(children);
  return node;
}

#define HS_PARSE(lhs, expr) HS_ASSIGN_OR_RETURN_PARSE_(lhs, expr)
#define HS_ASSIGN_OR_RETURN_PARSE_(lhs, expr)   \
  auto lhs##_or = (expr);                       \
  if (!lhs##_or.ok()) return lhs##_or.status(); \
  ExprPtr lhs = std::move(lhs##_or).value()

absl::StatusOr<Parser::ExprPtr> Parser::ParseTuple(bool with_condexpr) {
  const int start_line = line();
  std::vector<ExprPtr> items;
  bool is_tuple = false;
  while (true) {
    if (!items.empty()) {
      if (!IsOp(",")) break;
      Next();
      is_tuple = true;
      if (AtTagEnd() || IsName("if") || IsOp("=") || IsOp(")")) break;
    }
    HS_PARSE(item, ParseExpression(with_condexpr));
    items.push_back(std::move(item));
  }
  if (!is_tuple) return std::move(items[0]);
  return Node(Expr::Kind::kTuple, start_line, std::move(items));
}

absl::StatusOr<Parser::ExprPtr> Parser::ParseExpression(bool with_condexpr) {
  if (++depth_ > kMaxNestingDepth) {
    return Error(absl::StrCat("expression nests deeper than ", kMaxNestingDepth));
  }
  struct Leave {
    int* d;
    ~Leave() { --*d; }
  } leave{&depth_};
  HS_PARSE(node, ParseOr());
  if (!with_condexpr) return node;
  while (IsName("if")) {
    const int if_line = line();
    Next();
    HS_PARSE(condition, ParseOr());
    ExprPtr otherwise;
    if (IsName("else")) {
      Next();
      auto parsed = ParseExpression(true);
      if (!parsed.ok()) return parsed.status();
      otherwise = *std::move(parsed);
    }
    std::vector<ExprPtr> children;
    children.push_back(std::move(condition));
    children.push_back(std::move(node));
    children.push_back(std::move(otherwise));
    auto made = Node(Expr::Kind::kCondition, if_line, std::move(children));
    if (!made.ok()) return made.status();
    node = *std::move(made);
  }
  return node;
}

absl::StatusOr<Parser::ExprPtr> Parser::ParseOr() {
  HS_PARSE(left, ParseAnd());
  while (IsName("or")) {
    const int op_line = line();
    Next();
    HS_PARSE(right, ParseAnd());
    std::vector<ExprPtr> children;
    children.push_back(std::move(left));
    children.push_back(std::move(right));
    auto made = Node(Expr::Kind::kBinary, op_line, std::move(children), "or");
    if (!made.ok()) return made.status();
    left = *std::move(made);
  }
  return left;
}

absl::StatusOr<Parser::ExprPtr> Parser::ParseAnd() {
  HS_PARSE(left, ParseNot());
  while (IsName("and")) {
    const int op_line = line();
    Next();
    HS_PARSE(right, ParseNot());
    std::vector<ExprPtr> children;
    children.push_back(std::move(left));
    children.push_back(std::move(right));
    auto made = Node(Expr::Kind::kBinary, op_line, std::move(children), "and");
    if (!made.ok()) return made.status();
    left = *std::move(made);
  }
  return left;
}

absl::StatusOr<Parser::ExprPtr> Parser::ParseNot() {
  if (IsName("not")) {
    const int op_line = line();
    Next();
    if (++depth_ > kMaxNestingDepth) return Error("too many nested 'not'");
    auto operand = ParseNot();
    --depth_;
    if (!operand.ok()) return operand.status();
    std::vector<ExprPtr> children;
    children.push_back(*std::move(operand));
    return Node(Expr::Kind::kUnary, op_line, std::move(children), "not");
  }
  return ParseCompare();
}

absl::StatusOr<Parser::ExprPtr> Parser::ParseCompare() {
  const int start_line = line();
  HS_PARSE(first, ParseMath1());
  std::vector<ExprPtr> children;
  std::vector<std::string> ops;
  children.push_back(std::move(first));
  while (true) {
    const Token* t = Peek();
    std::string op;
    if (t != nullptr && t->type == TokenType::kOp &&
        (t->text == "==" || t->text == "!=" || t->text == "<" || t->text == "<=" ||
         t->text == ">" || t->text == ">=")) {
      op = t->text;
      Next();
    } else if (IsName("in")) {
      op = "in";
      Next();
    } else if (IsName("not") && IsName("in", 1)) {
      op = "notin";
      Next();
      Next();
    } else {
      break;
    }
    HS_PARSE(operand, ParseMath1());
    children.push_back(std::move(operand));
    ops.push_back(op);
  }
  if (ops.empty()) return std::move(children[0]);
  auto made = Node(Expr::Kind::kCompare, start_line, std::move(children));
  if (!made.ok()) return made.status();
  (*made)->ops = std::move(ops);
  return made;
}

namespace {

bool IsAnyOp(const Token* t, std::initializer_list<std::string_view> ops) {
  if (t == nullptr || t->type != TokenType::kOp) return false;
  return std::find(ops.begin(), ops.end(), t->text) != ops.end();
}

}  // namespace

#define HS_BINARY_LEVEL(Method, Lower, ...)                                    \
  absl::StatusOr<Parser::ExprPtr> Parser::Method() {                           \
    HS_PARSE(left, Lower);                                                     \
    while (IsAnyOp(Peek(), {__VA_ARGS__})) {                                   \
      const int op_line = line();                                              \
      std::string op = Next().text;                                            \
      HS_PARSE(right, Lower);                                                  \
      std::vector<ExprPtr> children;                                           \
      children.push_back(std::move(left));                                     \
      children.push_back(std::move(right));                                    \
      auto made = Node(Expr::Kind::kBinary, op_line, std::move(children), op); \
      if (!made.ok()) return made.status();                                    \
      left = *std::move(made);                                                 \
    }                                                                          \
    return left;                                                               \
  }

HS_BINARY_LEVEL(ParseMath1, ParseConcat(), "+", "-")
HS_BINARY_LEVEL(ParseConcat, ParseMath2(), "~")
HS_BINARY_LEVEL(ParseMath2, ParsePow(), "*", "/", "//", "%")
HS_BINARY_LEVEL(ParsePow, ParseUnary(true), "**")

absl::StatusOr<Parser::ExprPtr> Parser::ParseUnary(bool with_filter) {
  ExprPtr node;
  if (IsOp("-") || IsOp("+")) {
    const int op_line = line();
    std::string op = Next().text;
    if (++depth_ > kMaxNestingDepth) return Error("too many nested unary operators");
    auto operand = ParseUnary(false);
    --depth_;
    if (!operand.ok()) return operand.status();
    std::vector<ExprPtr> children;
    children.push_back(*std::move(operand));
    auto made = Node(Expr::Kind::kUnary, op_line, std::move(children), op);
    if (!made.ok()) return made.status();
    node = *std::move(made);
  } else {
    auto primary = ParsePrimary();
    if (!primary.ok()) return primary.status();
    node = *std::move(primary);
  }
  auto postfix = ParsePostfix(std::move(node));
  if (!postfix.ok() || !with_filter) return postfix;
  return ParseFilterExpr(*std::move(postfix));
}

absl::StatusOr<Parser::ExprPtr> Parser::ParsePrimary() {
  const Token* t = Peek();
  if (t == nullptr) return Error("expected an expression, got end of tag");
  const int start_line = t->line;
  auto literal = [&](Value v) -> absl::StatusOr<ExprPtr> {
    auto node = Node(Expr::Kind::kLiteral, start_line, {});
    if (node.ok()) (*node)->literal = std::move(v);
    return node;
  };
  switch (t->type) {
    case TokenType::kName: {
      std::string name = Next().text;
      if (name == "true" || name == "True") return literal(Value::Bool(true));
      if (name == "false" || name == "False") return literal(Value::Bool(false));
      if (name == "none" || name == "None") return literal(Value::None());
      return Node(Expr::Kind::kName, start_line, {}, std::move(name));
    }
    case TokenType::kString: {
      // Adjacent string literals concatenate.
      std::string text = Next().text;
      while (Peek() != nullptr && Peek()->type == TokenType::kString) text += Next().text;
      return literal(Value::String(std::move(text)));
    }
    case TokenType::kInt:
      return literal(Value::Int(Next().int_value));
    case TokenType::kFloat:
      return literal(Value::Float(Next().float_value));
    case TokenType::kOp:
      break;
  }
  std::vector<ExprPtr> items;
  if (IsOp("(")) {
    Next();
    if (IsOp(")")) {
      Next();
      return Node(Expr::Kind::kTuple, start_line, {});
    }
    bool is_tuple = false;
    while (true) {
      HS_PARSE(item, ParseExpression());
      items.push_back(std::move(item));
      if (IsOp(")")) break;
      HS_RETURN_IF_ERROR(Expect(","));
      is_tuple = true;
      if (IsOp(")")) break;
    }
    Next();
    if (!is_tuple) return std::move(items[0]);
    return Node(Expr::Kind::kTuple, start_line, std::move(items));
  }
  if (IsOp("[") || IsOp("{")) {
    const bool is_dict = IsOp("{");
    const std::string close = is_dict ? "}" : "]";
    Next();
    while (!IsOp(close)) {
      if (!items.empty()) {
        HS_RETURN_IF_ERROR(Expect(","));
      }
      if (IsOp(close)) break;
      HS_PARSE(item, ParseExpression());
      items.push_back(std::move(item));
      if (is_dict) {
        HS_RETURN_IF_ERROR(Expect(":"));
        HS_PARSE(value, ParseExpression());
        items.push_back(std::move(value));
      }
    }
    Next();
    return Node(is_dict ? Expr::Kind::kDict : Expr::Kind::kList, start_line, std::move(items));
  }
  return Error(absl::StrCat("unexpected ", Describe(t), " in an expression"));
}

absl::StatusOr<Parser::ExprPtr> Parser::ParsePostfix(ExprPtr node) {
  while (true) {
    const int op_line = line();
    if (IsOp(".")) {
      Next();
      const Token* t = Peek();
      std::vector<ExprPtr> children;
      children.push_back(std::move(node));
      if (t != nullptr && t->type == TokenType::kName) {
        auto made = Node(Expr::Kind::kAttr, op_line, std::move(children), Next().text);
        if (!made.ok()) return made.status();
        node = *std::move(made);
      } else if (t != nullptr && t->type == TokenType::kInt) {
        auto index = Node(Expr::Kind::kLiteral, op_line, {});
        if (!index.ok()) return index.status();
        (*index)->literal = Value::Int(Next().int_value);
        children.push_back(*std::move(index));
        auto made = Node(Expr::Kind::kSubscript, op_line, std::move(children));
        if (!made.ok()) return made.status();
        node = *std::move(made);
      } else {
        return Error(absl::StrCat("expected an attribute name after '.', got ", Describe(t)));
      }
    } else if (IsOp("[")) {
      auto sub = ParseSubscript(std::move(node));
      if (!sub.ok()) return sub.status();
      node = *std::move(sub);
    } else if (IsOp("(")) {
      std::vector<ExprPtr> children;
      children.push_back(std::move(node));
      auto made = Node(Expr::Kind::kCall, op_line, std::move(children));
      if (!made.ok()) return made.status();
      node = *std::move(made);
      HS_RETURN_IF_ERROR(ParseCallArgs(node.get()));
    } else {
      return node;
    }
  }
}

absl::StatusOr<Parser::ExprPtr> Parser::ParseSubscript(ExprPtr node) {
  const int op_line = line();
  Next();                      // [
  std::vector<ExprPtr> parts;  // start, stop, step
  bool is_slice = false;
  for (int part = 0; part < 3; ++part) {
    if (part > 0) {
      if (!IsOp(":")) break;
      Next();
      is_slice = true;
    }
    if (IsOp(":") || IsOp("]")) {
      parts.push_back(nullptr);
      continue;
    }
    HS_PARSE(item, ParseExpression());
    parts.push_back(std::move(item));
  }
  if (IsOp(",")) return Error("tuple subscripts (a[x, y]) are not supported");
  HS_RETURN_IF_ERROR(Expect("]"));
  std::vector<ExprPtr> children;
  children.push_back(std::move(node));
  if (!is_slice) {
    if (parts[0] == nullptr) return Error("empty subscript []");
    children.push_back(std::move(parts[0]));
    return Node(Expr::Kind::kSubscript, op_line, std::move(children));
  }
  parts.resize(3);
  for (auto& part : parts) children.push_back(std::move(part));
  return Node(Expr::Kind::kSlice, op_line, std::move(children));
}

absl::Status Parser::ParseCallArgs(Expr* node) {
  HS_RETURN_IF_ERROR(Expect("("));
  bool first = true;
  while (!IsOp(")")) {
    if (!first) {
      HS_RETURN_IF_ERROR(Expect(","));
      if (IsOp(")")) break;
    }
    first = false;
    if (IsOp("*") || IsOp("**")) return Error("*args and **kwargs in calls are not supported");
    const Token* t = Peek();
    if (t != nullptr && t->type == TokenType::kName && IsOp("=", 1)) {
      std::string key = Next().text;
      Next();
      HS_PARSE(value, ParseExpression());
      node->depth = std::max(node->depth, value->depth + 1);
      node->children.push_back(std::move(value));
      node->keywords.push_back(std::move(key));
      continue;
    }
    if (!node->keywords.empty()) return Error("positional argument follows keyword argument");
    HS_PARSE(value, ParseExpression());
    node->depth = std::max(node->depth, value->depth + 1);
    node->children.push_back(std::move(value));
  }
  Next();
  if (node->depth > kMaxNestingDepth) {
    return Error(absl::StrCat("expression nests deeper than ", kMaxNestingDepth));
  }
  return absl::OkStatus();
}

absl::StatusOr<Parser::ExprPtr> Parser::ParseFilterExpr(ExprPtr node) {
  while (true) {
    if (IsOp("|")) {
      Next();
      auto filtered = ParseFilter(std::move(node), true);
      if (!filtered.ok()) return filtered;
      node = *std::move(filtered);
    } else if (IsName("is")) {
      auto tested = ParseTest(std::move(node));
      if (!tested.ok()) return tested;
      node = *std::move(tested);
    } else if (IsOp("(")) {
      std::vector<ExprPtr> children;
      children.push_back(std::move(node));
      auto made = Node(Expr::Kind::kCall, line(), std::move(children));
      if (!made.ok()) return made.status();
      node = *std::move(made);
      HS_RETURN_IF_ERROR(ParseCallArgs(node.get()));
    } else {
      return node;
    }
  }
}

absl::StatusOr<Parser::ExprPtr> Parser::ParseFilter(ExprPtr node, bool start_inline) {
  // start_inline: the cursor is on the filter name (the '|' is consumed or absent).
  while (true) {
    const int filter_line = line();
    auto name = ExpectName();
    if (!name.ok()) return name.status();
    if (!IsKnownFilter(*name)) {
      return Error(absl::StrCat("unsupported filter '", *name,
                                "': the chat template interpreter does not implement it"));
    }
    std::vector<ExprPtr> children;
    children.push_back(std::move(node));
    auto made = Node(Expr::Kind::kFilter, filter_line, std::move(children), *name);
    if (!made.ok()) return made.status();
    node = *std::move(made);
    if (IsOp("(")) {
      HS_RETURN_IF_ERROR(ParseCallArgs(node.get()));
    }
    if (start_inline || !IsOp("|")) return node;
    Next();
  }
}

absl::StatusOr<Parser::ExprPtr> Parser::ParseTest(ExprPtr node) {
  const int test_line = line();
  Next();  // is
  bool negated = false;
  if (IsName("not")) {
    Next();
    negated = true;
  }
  auto name = ExpectName();
  if (!name.ok()) return name.status();
  if (!IsKnownTest(*name)) {
    return Error(absl::StrCat("unsupported test 'is ", *name,
                              "': the chat template interpreter does not implement it"));
  }
  std::vector<ExprPtr> children;
  children.push_back(std::move(node));
  auto made = Node(Expr::Kind::kTest, test_line, std::move(children), *name);
  if (!made.ok()) return made.status();
  node = *std::move(made);
  node->negated = negated;
  const Token* t = Peek();
  if (IsOp("(")) {
    HS_RETURN_IF_ERROR(ParseCallArgs(node.get()));
  } else if (t != nullptr &&
             (t->type == TokenType::kName || t->type == TokenType::kString ||
              t->type == TokenType::kInt || t->type == TokenType::kFloat || IsOp("[") ||
              IsOp("{")) &&
             !IsName("else") && !IsName("or") && !IsName("and")) {
    if (IsName("is")) return Error("tests cannot be chained with 'is'");
    auto arg = ParsePrimary();
    if (!arg.ok()) return arg.status();
    auto arg_postfix = ParsePostfix(*std::move(arg));
    if (!arg_postfix.ok()) return arg_postfix.status();
    node->depth = std::max(node->depth, (*arg_postfix)->depth + 1);
    node->children.push_back(*std::move(arg_postfix));
    if (node->depth > kMaxNestingDepth) return Error("expression nests too deeply");
  }
  return node;
}

}  // namespace hybridserve::engine::chat
