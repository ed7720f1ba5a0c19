// The GPT-2 byte-to-character table: every byte maps to one printable code point (printable
// Latin-1 bytes to themselves, the others to U+0100 + n), so byte strings become vocab strings.
#ifndef HYBRIDSERVE_ENGINE_TOKENIZER_BYTE_LEVEL_H_
#define HYBRIDSERVE_ENGINE_TOKENIZER_BYTE_LEVEL_H_

#include <string>
#include <string_view>

namespace hybridserve::engine {

// The UTF-8 encoding of the code point byte b maps to.
std::string_view ByteToChars(unsigned char b);

// Appends the mapped characters of each byte of bytes.
void AppendByteLevelChars(std::string_view bytes, std::string* out);

// If every character of token is in the byte table, appends the bytes they stand for and returns
// true; otherwise appends nothing and returns false.
bool AppendBytesOfChars(std::string_view token, std::string* out);

// The regex the ByteLevel pre-tokenizer splits with when use_regex is true.
inline constexpr char kGpt2SplitPattern[] =
    "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+";

}  // namespace hybridserve::engine

#endif  // HYBRIDSERVE_ENGINE_TOKENIZER_BYTE_LEVEL_H_
