#include "server/utf8_stream.h"

#include <cstdint>

namespace hybridserve::server {
namespace {

constexpr absl::string_view kReplacement = "\xEF\xBF\xBD";  // U+FFFD

// At s[pos]: > 0, the length of a well-formed character; < 0, minus the length of a maximal
// ill-formed subsequence; 0, s ends inside a character that is well-formed so far.
int SequenceAt(absl::string_view s, size_t pos) {
  const uint8_t lead = static_cast<uint8_t>(s[pos]);
  int length = 0;
  uint8_t lo = 0x80, hi = 0xBF;  // range of the second byte
  if (lead < 0x80) return 1;
  if (lead >= 0xC2 && lead <= 0xDF) {
    length = 2;
  } else if (lead >= 0xE0 && lead <= 0xEF) {
    length = 3;
    if (lead == 0xE0) lo = 0xA0;  // no overlongs
    if (lead == 0xED) hi = 0x9F;  // no surrogates
  } else if (lead >= 0xF0 && lead <= 0xF4) {
    length = 4;
    if (lead == 0xF0) lo = 0x90;  // no overlongs
    if (lead == 0xF4) hi = 0x8F;  // <= U+10FFFF
  } else {
    return -1;  // a continuation byte or a byte no character starts with
  }
  for (int i = 1; i < length; ++i) {
    if (pos + i >= s.size()) return 0;
    const uint8_t byte = static_cast<uint8_t>(s[pos + i]);
    const uint8_t min = i == 1 ? lo : 0x80, max = i == 1 ? hi : 0xBF;
    if (byte < min || byte > max) return -i;
  }
  return length;
}

}  // namespace

std::string Utf8Stream::Push(absl::string_view bytes, bool last) {
  pending_.append(bytes.data(), bytes.size());
  std::string out;
  size_t pos = 0;
  while (pos < pending_.size()) {
    const int r = SequenceAt(pending_, pos);
    if (r > 0) {
      out.append(pending_, pos, static_cast<size_t>(r));
      pos += static_cast<size_t>(r);
    } else if (r < 0) {
      out.append(kReplacement.data(), kReplacement.size());
      pos += static_cast<size_t>(-r);
    } else if (last) {
      out.append(kReplacement.data(), kReplacement.size());
      pos = pending_.size();
    } else {
      break;
    }
  }
  pending_.erase(0, pos);
  return out;
}

std::string LossyUtf8(absl::string_view bytes) { return Utf8Stream().Push(bytes, true); }

}  // namespace hybridserve::server
