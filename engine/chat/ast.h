// The parsed form of a chat template: expression and statement trees built by parser.cc and
// walked by the interpreter. Nodes are plain structs with one kind tag; children are owned.
#ifndef HYBRIDSERVE_ENGINE_CHAT_AST_H_
#define HYBRIDSERVE_ENGINE_CHAT_AST_H_

#include <memory>
#include <string>
#include <vector>

#include "engine/chat/value.h"

namespace hybridserve::engine::chat {

struct Expr {
  enum class Kind {
    kLiteral,    // literal
    kName,       // name
    kList,       // children
    kTuple,      // children
    kDict,       // children = key0, value0, key1, value1, ...
    kAttr,       // children[0].name
    kSubscript,  // children[0][children[1]]
    kSlice,      // children[0][children[1]:children[2]:children[3]] (null parts omitted)
    kCall,       // children[0](children[1..]); the last keywords.size() children are keywords
    kFilter,     // children[0] | name(children[1..])
    kTest,       // children[0] is [not] name(children[1..])
    kUnary,      // op children[0]: "-", "+", "not"
    kBinary,     // children[0] op children[1]: + - * / // % ** ~ and or
    kCompare,    // children[0] ops[0] children[1] ops[1] children[2] ...
    kCondition,  // children[1] if children[0] else children[2] (null: undefined)
    kBlockValue  // the rendered body of a {% filter %} or {% set x | f %} block
  };
  Kind kind;
  int line = 0;
  int depth = 1;  // height of this tree, bounded by the parser
  Value literal;
  std::string name;  // kName, kAttr, kFilter, kTest, op of kUnary/kBinary
  std::vector<std::unique_ptr<Expr>> children;
  std::vector<std::string> keywords;  // kCall/kFilter/kTest keyword argument names
  std::vector<std::string> ops;       // kCompare: "==", "!=", "<", "<=", ">", ">=", "in", "notin"
  bool negated = false;               // kTest
};

struct Stmt;
using Body = std::vector<std::unique_ptr<Stmt>>;

struct Stmt {
  enum class Kind {
    kText,      // text
    kOutput,    // {{ expr }}
    kIf,        // conditions[i] -> bodies[i]; else_body
    kFor,       // for targets in expr [if condition] body [else else_body]
    kSet,       // set targets = expr, or set targets[0].attr = expr (namespace attribute)
    kSetBlock,  // set targets[0] [| filters] body endset; expr = filter chain or null
    kMacro,     // macro name(params = defaults) body
    kBreak,
    kContinue,
    kFilterBlock,  // filter chain(expr) body endfilter
    kScope         // generation/endgeneration: renders body in place
  };
  Kind kind;
  int line = 0;
  std::string text;                  // kText
  std::string name;                  // kMacro name
  std::vector<std::string> targets;  // kFor/kSet/kSetBlock names
  std::string attr;                  // kSet on a namespace attribute: targets[0].attr
  std::unique_ptr<Expr> expr;        // output value, loop iterable, set value, filter chain
  std::unique_ptr<Expr> condition;   // kFor: the `if` filter
  std::vector<std::unique_ptr<Expr>> conditions;  // kIf
  std::vector<Body> bodies;                       // kIf: one per condition
  Body body;
  Body else_body;
  std::vector<std::string> params;              // kMacro
  std::vector<std::unique_ptr<Expr>> defaults;  // kMacro: one per param, null if none
};

}  // namespace hybridserve::engine::chat

#endif  // HYBRIDSERVE_ENGINE_CHAT_AST_H_
