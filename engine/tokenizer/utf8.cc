#include "engine/tokenizer/utf8.h"

namespace hybridserve::engine {
namespace {

// Expected sequence length for a lead byte (0 for bytes that cannot start a sequence), and the
// allowed range of the second byte.
struct LeadInfo {
  uint8_t length;
  uint8_t second_min;
  uint8_t second_max;
};

LeadInfo Lead(uint8_t b) {
  if (b < 0x80) return {1, 0, 0};
  if (b >= 0xC2 && b <= 0xDF) return {2, 0x80, 0xBF};
  if (b == 0xE0) return {3, 0xA0, 0xBF};
  if (b >= 0xE1 && b <= 0xEC) return {3, 0x80, 0xBF};
  if (b == 0xED) return {3, 0x80, 0x9F};
  if (b >= 0xEE && b <= 0xEF) return {3, 0x80, 0xBF};
  if (b == 0xF0) return {4, 0x90, 0xBF};
  if (b >= 0xF1 && b <= 0xF3) return {4, 0x80, 0xBF};
  if (b == 0xF4) return {4, 0x80, 0x8F};
  return {0, 0, 0};
}

// Number of bytes from pos that are a well-formed prefix of a sequence (>= 1 when the lead byte
// is valid), and whether that prefix is the complete sequence.
size_t WellFormedPrefix(std::string_view text, size_t pos, bool* complete) {
  const LeadInfo info = Lead(static_cast<uint8_t>(text[pos]));
  *complete = false;
  if (info.length == 0) return 0;
  if (info.length == 1) {
    *complete = true;
    return 1;
  }
  size_t n = 1;
  while (n < info.length && pos + n < text.size()) {
    const uint8_t b = static_cast<uint8_t>(text[pos + n]);
    const uint8_t lo = n == 1 ? info.second_min : 0x80;
    const uint8_t hi = n == 1 ? info.second_max : 0xBF;
    if (b < lo || b > hi) return n;
    ++n;
  }
  *complete = n == info.length;
  return n;
}

}  // namespace

size_t ValidSequenceLength(std::string_view text, size_t pos) {
  bool complete = false;
  const size_t n = WellFormedPrefix(text, pos, &complete);
  return complete ? n : 0;
}

size_t FirstInvalidUtf8(std::string_view text) {
  size_t pos = 0;
  while (pos < text.size()) {
    if (static_cast<uint8_t>(text[pos]) < 0x80) {
      ++pos;
      continue;
    }
    const size_t n = ValidSequenceLength(text, pos);
    if (n == 0) return pos;
    pos += n;
  }
  return text.size();
}

char32_t DecodeCodePoint(std::string_view text, size_t pos, size_t* length) {
  const auto b0 = static_cast<uint8_t>(text[pos]);
  if (b0 < 0x80) {
    *length = 1;
    return b0;
  }
  auto cont = [&](size_t i) {
    return static_cast<char32_t>(static_cast<uint8_t>(text[pos + i]) & 0x3F);
  };
  if (b0 < 0xE0) {
    *length = 2;
    return (static_cast<char32_t>(b0 & 0x1F) << 6) | cont(1);
  }
  if (b0 < 0xF0) {
    *length = 3;
    return (static_cast<char32_t>(b0 & 0x0F) << 12) | (cont(1) << 6) | cont(2);
  }
  *length = 4;
  return (static_cast<char32_t>(b0 & 0x07) << 18) | (cont(1) << 12) | (cont(2) << 6) | cont(3);
}

void AppendCodePoint(char32_t cp, std::string* out) {
  if (cp < 0x80) {
    out->push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out->push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out->push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out->push_back(static_cast<char>(0xF0 | (cp >> 18)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

void AppendLossyUtf8(std::string_view bytes, std::string* out) {
  size_t pos = 0;
  size_t run_start = 0;  // start of the pending well-formed run
  while (pos < bytes.size()) {
    if (static_cast<uint8_t>(bytes[pos]) < 0x80) {
      ++pos;
      continue;
    }
    bool complete = false;
    const size_t n = WellFormedPrefix(bytes, pos, &complete);
    if (complete) {
      pos += n;
      continue;
    }
    out->append(bytes.substr(run_start, pos - run_start));
    out->append(kReplacementChar);
    pos += n == 0 ? 1 : n;  // one U+FFFD per maximal ill-formed subpart
    run_start = pos;
  }
  out->append(bytes.substr(run_start));
}

size_t IncompleteSuffixLength(std::string_view text) {
  // A truncated sequence is at most 3 bytes long; look for its lead byte.
  const size_t limit = text.size() < 3 ? text.size() : 3;
  for (size_t back = 1; back <= limit; ++back) {
    const size_t pos = text.size() - back;
    const auto b = static_cast<uint8_t>(text[pos]);
    if ((b & 0xC0) == 0x80) continue;  // continuation byte: keep looking for the lead
    bool complete = false;
    const size_t n = WellFormedPrefix(text, pos, &complete);
    return (!complete && n == back) ? back : 0;
  }
  return 0;
}

}  // namespace hybridserve::engine
