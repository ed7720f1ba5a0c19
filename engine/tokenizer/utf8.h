// UTF-8 helpers for the tokenizer: validation, code point iteration, encoding, and the lossy
// conversion that replaces each maximal ill-formed subsequence with U+FFFD (the Unicode
// "substitution of maximal subparts" practice, as Rust's String::from_utf8_lossy does).
#ifndef HYBRIDSERVE_ENGINE_TOKENIZER_UTF8_H_
#define HYBRIDSERVE_ENGINE_TOKENIZER_UTF8_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace hybridserve::engine {

inline constexpr std::string_view kReplacementChar = "\xEF\xBF\xBD";  // U+FFFD

// Length of the well-formed UTF-8 sequence starting at text[pos], or 0 if the bytes there are
// not a complete, well-formed sequence (truncated, overlong, surrogate, > U+10FFFF, stray).
size_t ValidSequenceLength(std::string_view text, size_t pos);

// Byte offset of the first ill-formed byte, or text.size() when all of text is well-formed.
size_t FirstInvalidUtf8(std::string_view text);
inline bool IsValidUtf8(std::string_view text) { return FirstInvalidUtf8(text) == text.size(); }

// Decodes the code point of the well-formed sequence at text[pos] (the caller checked it), and
// stores its byte length in *length.
char32_t DecodeCodePoint(std::string_view text, size_t pos, size_t* length);

// Appends the UTF-8 encoding of code point cp (<= U+10FFFF, not a surrogate).
void AppendCodePoint(char32_t cp, std::string* out);

// Appends bytes to out, each maximal ill-formed subsequence replaced by one U+FFFD.
void AppendLossyUtf8(std::string_view bytes, std::string* out);

// Number of bytes at the end of text that form a truncated (incomplete but so far well-formed)
// sequence, which more bytes could complete: 0..3.
size_t IncompleteSuffixLength(std::string_view text);

}  // namespace hybridserve::engine

#endif  // HYBRIDSERVE_ENGINE_TOKENIZER_UTF8_H_
