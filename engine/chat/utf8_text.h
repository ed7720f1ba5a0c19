// UTF-8 helpers with Python's notion of characters: templates index, slice, measure and case-map
// strings by code point, and Python's str.strip()/split() use Unicode whitespace.
#ifndef HYBRIDSERVE_ENGINE_CHAT_UTF8_TEXT_H_
#define HYBRIDSERVE_ENGINE_CHAT_UTF8_TEXT_H_

#include <string>
#include <string_view>

namespace hybridserve::engine::chat {

// Invalid bytes decode to U+FFFD.
std::u32string DecodeUtf8(std::string_view text);
void AppendUtf8(char32_t cp, std::string* out);
std::string EncodeUtf8(std::u32string_view text);
bool IsValidUtf8(std::string_view text);
// Number of code points.
size_t Utf8Length(std::string_view text);

// Python str.isspace() for one character (what \s matches in Python's re).
bool IsPyWhitespace(char32_t cp);
// Python str.isprintable() for one character (repr() escapes the others).
bool IsPrintable(char32_t cp);
bool IsCased(char32_t cp);
bool IsAlpha(char32_t cp);
bool IsDigit(char32_t cp);
bool IsUpper(char32_t cp);
bool IsLower(char32_t cp);
char32_t ToUpper(char32_t cp);
char32_t ToLower(char32_t cp);

std::string Upper(std::string_view text);
std::string Lower(std::string_view text);
// Python str.strip/lstrip/rstrip: chars == nullptr strips whitespace.
std::string Strip(std::string_view text, const std::string* chars, bool left, bool right);

}  // namespace hybridserve::engine::chat

#endif  // HYBRIDSERVE_ENGINE_CHAT_UTF8_TEXT_H_
