#include "engine/tokenizer/regex.h"

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include "absl/strings/str_cat.h"
#include "engine/tokenizer/utf8.h"

namespace hybridserve::engine {
namespace {

// Unicode White_Space, as Oniguruma's \s.
constexpr char kWhiteSpaceItems[] =
    "\\t\\n\\x{0B}\\f\\r\\x{20}\\x{85}\\x{A0}\\x{1680}\\x{2000}-\\x{200A}\\x{2028}\\x{2029}"
    "\\x{202F}\\x{205F}\\x{3000}";

// Per-thread PCRE2 matching state, reused across calls.
struct ThreadMatchState {
  pcre2_match_data* match_data = nullptr;
  pcre2_match_context* context = nullptr;
  pcre2_jit_stack* jit_stack = nullptr;
  ThreadMatchState() {
    match_data = pcre2_match_data_create(1, nullptr);
    context = pcre2_match_context_create(nullptr);
    jit_stack = pcre2_jit_stack_create(32 * 1024, 4 * 1024 * 1024, nullptr);
    if (jit_stack != nullptr) pcre2_jit_stack_assign(context, nullptr, jit_stack);
  }
  ~ThreadMatchState() {
    pcre2_match_data_free(match_data);
    pcre2_match_context_free(context);
    if (jit_stack != nullptr) pcre2_jit_stack_free(jit_stack);
  }
};

ThreadMatchState& MatchState() {
  thread_local ThreadMatchState state;
  return state;
}

}  // namespace

std::string RewriteWhitespaceClasses(std::string_view pattern) {
  std::string out;
  out.reserve(pattern.size() + 64);
  bool in_class = false;
  size_t class_start = 0;  // position in pattern just after '[' or '[^'
  for (size_t i = 0; i < pattern.size(); ++i) {
    const char c = pattern[i];
    if (c == '\\' && i + 1 < pattern.size()) {
      const char next = pattern[i + 1];
      if (next == 's') {
        absl::StrAppend(&out, in_class ? "" : "[", kWhiteSpaceItems, in_class ? "" : "]");
      } else if (next == 'S' && !in_class) {
        absl::StrAppend(&out, "[^", kWhiteSpaceItems, "]");
      } else {
        out.push_back(c);
        out.push_back(next);
      }
      ++i;
      continue;
    }
    if (!in_class && c == '[') {
      in_class = true;
      out.push_back(c);
      if (i + 1 < pattern.size() && pattern[i + 1] == '^') {
        out.push_back('^');
        ++i;
      }
      class_start = i + 1;
      continue;
    }
    if (in_class && c == '[' && i + 1 < pattern.size() && pattern[i + 1] == ':') {
      // POSIX class [:name:] inside a bracket expression: copy through its closing ":]".
      const size_t end = pattern.find(":]", i + 2);
      if (end != std::string_view::npos) {
        out.append(pattern.substr(i, end + 2 - i));
        i = end + 1;
        continue;
      }
    }
    if (in_class && c == ']' && i != class_start) in_class = false;
    out.push_back(c);
  }
  return out;
}

absl::StatusOr<std::unique_ptr<Regex>> Regex::Compile(std::string_view pattern) {
  std::unique_ptr<Regex> regex(new Regex());
  regex->compiled_pattern_ = RewriteWhitespaceClasses(pattern);
  int error_code = 0;
  PCRE2_SIZE error_offset = 0;
  pcre2_code* code =
      pcre2_compile(reinterpret_cast<PCRE2_SPTR>(regex->compiled_pattern_.data()),
                    regex->compiled_pattern_.size(), PCRE2_UTF | PCRE2_UCP | PCRE2_NO_UTF_CHECK,
                    &error_code, &error_offset, nullptr);
  if (code == nullptr) {
    PCRE2_UCHAR message[256];
    pcre2_get_error_message(error_code, message, sizeof(message));
    return absl::InvalidArgumentError(
        absl::StrCat("regex \"", std::string(pattern), "\" does not compile: ",
                     reinterpret_cast<const char*>(message), " (at offset ", error_offset, ")"));
  }
  regex->code_ = code;
  regex->jit_ = pcre2_jit_compile(code, PCRE2_JIT_COMPLETE) == 0;
  return regex;
}

absl::StatusOr<std::unique_ptr<Regex>> Regex::Literal(std::string_view literal) {
  std::string quoted;
  for (const char c : literal) {
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
        static_cast<unsigned char>(c) >= 0x80) {
      quoted.push_back(c);
    } else if (c == '\0') {
      quoted.append("\\x{0}");
    } else {
      quoted.push_back('\\');
      quoted.push_back(c);
    }
  }
  return Compile(quoted);
}

Regex::~Regex() { pcre2_code_free(static_cast<pcre2_code*>(code_)); }

void Regex::FindAll(std::string_view text, std::vector<std::pair<size_t, size_t>>* matches) const {
  auto* code = static_cast<pcre2_code*>(code_);
  ThreadMatchState& state = MatchState();
  const auto* subject = reinterpret_cast<PCRE2_SPTR>(text.data());
  size_t start = 0;
  bool have_last_end = false;
  size_t last_end = 0;
  while (start <= text.size()) {
    const int rc = jit_ ? pcre2_jit_match(code, subject, text.size(), start, 0, state.match_data,
                                          state.context)
                        : pcre2_match(code, subject, text.size(), start, PCRE2_NO_UTF_CHECK,
                                      state.match_data, state.context);
    if (rc < 0) break;  // no match (or a resource limit: the rest stays unsplit)
    const PCRE2_SIZE* ovector = pcre2_get_ovector_pointer(state.match_data);
    const size_t match_start = ovector[0];
    const size_t match_end = ovector[1];
    if (match_start == match_end && have_last_end && last_end == match_end) {
      // Empty match where the previous one ended: step over one character.
      if (start >= text.size()) break;
      size_t length = 1;
      if (static_cast<uint8_t>(text[start]) >= 0x80) DecodeCodePoint(text, start, &length);
      start += length;
      continue;
    }
    matches->emplace_back(match_start, match_end);
    have_last_end = true;
    last_end = match_end;
    start = match_end;
  }
}

}  // namespace hybridserve::engine
