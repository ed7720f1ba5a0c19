// Unicode character classes the tokenizer needs outside regexes: White_Space (as Rust's
// char::is_whitespace and Oniguruma's \s) and "word" characters (as the Rust regex crate's \w).
#ifndef HYBRIDSERVE_ENGINE_TOKENIZER_UNICODE_CLASSES_H_
#define HYBRIDSERVE_ENGINE_TOKENIZER_UNICODE_CLASSES_H_

namespace hybridserve::engine {

bool IsWhiteSpace(char32_t cp);
// Alphabetic, Mark, Decimal_Number, Connector_Punctuation or Join_Control.
bool IsWordChar(char32_t cp);

}  // namespace hybridserve::engine

#endif  // HYBRIDSERVE_ENGINE_TOKENIZER_UNICODE_CLASSES_H_
