#include "engine/tokenizer/byte_level.h"

#include <array>
#include <cstdint>

#include "engine/tokenizer/utf8.h"

namespace hybridserve::engine {
namespace {

struct Tables {
  std::array<std::string, 256> byte_to_chars;
  std::array<int16_t, 512> char_to_byte;  // code point (< 512) -> byte, or -1
  Tables() {
    char_to_byte.fill(-1);
    int next = 0;
    for (int b = 0; b < 256; ++b) {
      const bool printable = (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || b >= 0xAE;
      const char32_t cp =
          printable ? static_cast<char32_t>(b) : static_cast<char32_t>(256 + next++);
      AppendCodePoint(cp, &byte_to_chars[b]);
      char_to_byte[cp] = static_cast<int16_t>(b);
    }
  }
};

const Tables& GetTables() {
  static const Tables* tables = new Tables();
  return *tables;
}

}  // namespace

std::string_view ByteToChars(unsigned char b) { return GetTables().byte_to_chars[b]; }

void AppendByteLevelChars(std::string_view bytes, std::string* out) {
  const Tables& tables = GetTables();
  for (const char c : bytes) out->append(tables.byte_to_chars[static_cast<unsigned char>(c)]);
}

bool AppendBytesOfChars(std::string_view token, std::string* out) {
  const Tables& tables = GetTables();
  const size_t old_size = out->size();
  size_t pos = 0;
  while (pos < token.size()) {
    size_t length = ValidSequenceLength(token, pos);
    if (length == 0) break;
    const char32_t cp = DecodeCodePoint(token, pos, &length);
    if (cp >= 512 || tables.char_to_byte[cp] < 0) break;
    out->push_back(static_cast<char>(tables.char_to_byte[cp]));
    pos += length;
  }
  if (pos == token.size()) return true;
  out->resize(old_size);
  return false;
}

}  // namespace hybridserve::engine
