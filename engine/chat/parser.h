// Builds the statement tree of a chat template from the lexer's pieces. Everything the
// interpreter cannot run is rejected here, so a model whose template uses an unsupported construct
// fails at load time with the construct and its line named.
#ifndef HYBRIDSERVE_ENGINE_CHAT_PARSER_H_
#define HYBRIDSERVE_ENGINE_CHAT_PARSER_H_

#include <initializer_list>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "engine/chat/ast.h"
#include "engine/chat/lexer.h"

namespace hybridserve::engine::chat {

// Deepest nesting of blocks and of expression trees the parser accepts.
inline constexpr int kMaxNestingDepth = 100;

absl::StatusOr<Body> ParseTemplate(std::string_view source);

class Parser {
 public:
  explicit Parser(std::vector<Piece> pieces) : pieces_(std::move(pieces)) {}
  absl::StatusOr<Body> ParseAll();

 private:
  using ExprPtr = std::unique_ptr<Expr>;

  // Statements (parse_statements.cc). ParseBody stops at a statement whose tag is one of
  // `ends` and leaves the cursor after that tag's name; *found receives the tag.
  absl::Status ParseBody(Body* body, std::initializer_list<std::string_view> ends,
                         std::string* found);
  absl::Status ParseStatement(Body* body);
  absl::Status ParseIf(Stmt* stmt);
  absl::Status ParseFor(Stmt* stmt);
  absl::Status ParseSet(Stmt* stmt);
  absl::Status ParseMacro(Stmt* stmt);
  absl::Status ParseFilterBlock(Stmt* stmt);
  absl::Status ExpectTagEnd();
  absl::StatusOr<std::vector<std::string>> ParseTargets();

  // Expressions (parse_expressions.cc), following Jinja's precedence.
  absl::StatusOr<ExprPtr> ParseTuple(bool with_condexpr);
  absl::StatusOr<ExprPtr> ParseExpression(bool with_condexpr = true);
  absl::StatusOr<ExprPtr> ParseOr();
  absl::StatusOr<ExprPtr> ParseAnd();
  absl::StatusOr<ExprPtr> ParseNot();
  absl::StatusOr<ExprPtr> ParseCompare();
  absl::StatusOr<ExprPtr> ParseMath1();
  absl::StatusOr<ExprPtr> ParseConcat();
  absl::StatusOr<ExprPtr> ParseMath2();
  absl::StatusOr<ExprPtr> ParsePow();
  absl::StatusOr<ExprPtr> ParseUnary(bool with_filter);
  absl::StatusOr<ExprPtr> ParsePrimary();
  absl::StatusOr<ExprPtr> ParsePostfix(ExprPtr node);
  absl::StatusOr<ExprPtr> ParseFilterExpr(ExprPtr node);
  absl::StatusOr<ExprPtr> ParseFilter(ExprPtr node, bool start_inline);
  absl::StatusOr<ExprPtr> ParseTest(ExprPtr node);
  absl::StatusOr<ExprPtr> ParseSubscript(ExprPtr node);
  // Appends positional then keyword arguments of a call to node (cursor on "(").
  absl::Status ParseCallArgs(Expr* node);
  // A node over children, with its tree depth checked against kMaxNestingDepth.
  absl::StatusOr<ExprPtr> Node(Expr::Kind kind, int line, std::vector<ExprPtr> children,
                               std::string name = "");

  // Token cursor within the current tag.
  const Token* Peek(size_t ahead = 0) const;
  bool AtTagEnd() const { return Peek() == nullptr; }
  bool IsOp(std::string_view op, size_t ahead = 0) const;
  bool IsName(std::string_view name, size_t ahead = 0) const;
  const Token& Next() { return pieces_[piece_].tokens[token_++]; }
  absl::Status Expect(std::string_view op);
  absl::StatusOr<std::string> ExpectName();
  int line() const;
  absl::Status Error(std::string_view what) const;
  std::string Describe(const Token* token) const;

  std::vector<Piece> pieces_;
  size_t piece_ = 0;
  size_t token_ = 0;
  int depth_ = 0;       // block nesting
  int loop_depth_ = 0;  // enclosing for loops (macros reset it), for break/continue
};

}  // namespace hybridserve::engine::chat

#endif  // HYBRIDSERVE_ENGINE_CHAT_PARSER_H_
