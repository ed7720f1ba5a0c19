#include "engine/tokenizer/decoders.h"

#include <utility>

#include "base/status_macros.h"
#include "engine/tokenizer/byte_level.h"
#include "engine/tokenizer/json_fields.h"
#include "engine/tokenizer/text_pattern.h"
#include "engine/tokenizer/utf8.h"

namespace hybridserve::engine {
namespace {

using json_fields::Json;

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

class ByteLevelDecoder : public Decoder {
 public:
  void DecodeChain(std::vector<std::string>* tokens) const override {
    std::string bytes;
    for (const std::string& token : *tokens) {
      if (!AppendBytesOfChars(token, &bytes)) bytes.append(token);
    }
    std::string text;
    text.reserve(bytes.size());
    AppendLossyUtf8(bytes, &text);
    tokens->assign(1, std::move(text));
  }
  bool HasByteLevel() const override { return true; }
};

class ReplaceDecoder : public Decoder {
 public:
  ReplaceDecoder(TextPattern pattern, std::string content)
      : pattern_(std::move(pattern)), content_(std::move(content)) {}
  void DecodeChain(std::vector<std::string>* tokens) const override {
    for (std::string& token : *tokens) pattern_.ReplaceAll(content_, &token);
  }

 private:
  TextPattern pattern_;
  std::string content_;
};

class ByteFallbackDecoder : public Decoder {
 public:
  void DecodeChain(std::vector<std::string>* tokens) const override {
    std::vector<std::string> out;
    out.reserve(tokens->size());
    std::string pending;  // bytes of consecutive <0xNN> tokens
    auto flush = [&]() {
      if (pending.empty()) return;
      if (IsValidUtf8(pending)) {
        out.push_back(pending);
      } else {
        for (size_t i = 0; i < pending.size(); ++i) out.emplace_back(kReplacementChar);
      }
      pending.clear();
    };
    for (std::string& token : *tokens) {
      unsigned char byte = 0;
      if (ParseByteToken(token, &byte)) {
        pending.push_back(static_cast<char>(byte));
        continue;
      }
      flush();
      out.push_back(std::move(token));
    }
    flush();
    *tokens = std::move(out);
  }
  bool HasByteFallback() const override { return true; }
};

class FuseDecoder : public Decoder {
 public:
  void DecodeChain(std::vector<std::string>* tokens) const override {
    std::string joined;
    for (const std::string& token : *tokens) joined.append(token);
    tokens->assign(1, std::move(joined));
  }
};

// Removes up to `start` leading and `stop` trailing occurrences of one character per token.
class StripDecoder : public Decoder {
 public:
  StripDecoder(std::string content, size_t start, size_t stop)
      : content_(std::move(content)), start_(start), stop_(stop) {}
  void DecodeChain(std::vector<std::string>* tokens) const override {
    for (std::string& token : *tokens) {
      size_t begin = 0;
      for (size_t i = 0; i < start_; ++i) {
        if (token.compare(begin, content_.size(), content_) != 0) break;
        begin += content_.size();
      }
      size_t end = token.size();
      for (size_t i = 0; i < stop_ && end >= begin + content_.size(); ++i) {
        if (token.compare(end - content_.size(), content_.size(), content_) != 0) break;
        end -= content_.size();
      }
      token = token.substr(begin, end - begin);
    }
  }

 private:
  std::string content_;
  size_t start_;
  size_t stop_;
};

// Turns the replacement character back into spaces; in the first token it is dropped instead,
// unless the prepend scheme is "never".
class MetaspaceDecoder : public Decoder {
 public:
  MetaspaceDecoder(std::string replacement, bool drop_in_first)
      : replacement_(std::move(replacement)), drop_in_first_(drop_in_first) {}
  void DecodeChain(std::vector<std::string>* tokens) const override {
    for (size_t i = 0; i < tokens->size(); ++i) {
      std::string& token = (*tokens)[i];
      std::string out;
      out.reserve(token.size());
      size_t pos = 0;
      while (pos < token.size()) {
        if (token.compare(pos, replacement_.size(), replacement_) == 0) {
          if (!(i == 0 && drop_in_first_)) out.push_back(' ');
          pos += replacement_.size();
        } else {
          out.push_back(token[pos]);
          ++pos;
        }
      }
      token = std::move(out);
    }
  }

 private:
  std::string replacement_;
  bool drop_in_first_;
};

class SequenceDecoder : public Decoder {
 public:
  explicit SequenceDecoder(std::vector<std::unique_ptr<Decoder>> parts)
      : parts_(std::move(parts)) {}
  void DecodeChain(std::vector<std::string>* tokens) const override {
    for (const auto& part : parts_) part->DecodeChain(tokens);
  }
  bool HasByteFallback() const override {
    for (const auto& part : parts_) {
      if (part->HasByteFallback()) return true;
    }
    return false;
  }
  bool HasByteLevel() const override {
    for (const auto& part : parts_) {
      if (part->HasByteLevel()) return true;
    }
    return false;
  }

 private:
  std::vector<std::unique_ptr<Decoder>> parts_;
};

absl::StatusOr<std::string> OneCharacter(const Json& j, const char* field,
                                         std::string_view component) {
  HS_ASSIGN_OR_RETURN(std::string value, json_fields::GetString(j, field, component));
  if (value.empty() || ValidSequenceLength(value, 0) != value.size()) {
    return json_fields::BadField(component, field, "exactly one character");
  }
  return value;
}

}  // namespace

bool ParseByteToken(const std::string& token, unsigned char* byte) {
  // "<0xNN>"; the two digits are read like Rust's u8::from_str_radix(_, 16), which also takes
  // a leading '+' before a single digit.
  if (token.size() != 6 || token.compare(0, 3, "<0x") != 0 || token[5] != '>') return false;
  const int hi = HexValue(token[3]);
  const int lo = HexValue(token[4]);
  if (lo < 0) return false;
  if (hi < 0) {
    if (token[3] != '+') return false;
    *byte = static_cast<unsigned char>(lo);
    return true;
  }
  *byte = static_cast<unsigned char>(hi * 16 + lo);
  return true;
}

absl::StatusOr<std::unique_ptr<Decoder>> ParseDecoder(const Json& j) {
  const std::string type = json_fields::TypeOf(j);
  if (type == "ByteLevel") return std::make_unique<ByteLevelDecoder>();
  if (type == "ByteFallback") return std::make_unique<ByteFallbackDecoder>();
  if (type == "Fuse") return std::make_unique<FuseDecoder>();
  if (type == "Replace") {
    bool is_regex = false;
    HS_ASSIGN_OR_RETURN(std::string pattern,
                        json_fields::GetPattern(j, "pattern", &is_regex, "Replace decoder"));
    HS_ASSIGN_OR_RETURN(std::string content,
                        json_fields::GetString(j, "content", "Replace decoder"));
    HS_ASSIGN_OR_RETURN(TextPattern compiled, TextPattern::Create(std::move(pattern), is_regex));
    return std::make_unique<ReplaceDecoder>(std::move(compiled), std::move(content));
  }
  if (type == "Strip") {
    HS_ASSIGN_OR_RETURN(std::string content, OneCharacter(j, "content", "Strip decoder"));
    HS_ASSIGN_OR_RETURN(int64_t start, json_fields::GetInt(j, "start", 0, "Strip decoder"));
    HS_ASSIGN_OR_RETURN(int64_t stop, json_fields::GetInt(j, "stop", 0, "Strip decoder"));
    if (start < 0 || stop < 0) {
      return json_fields::BadField("Strip decoder", "start/stop", "non-negative");
    }
    return std::make_unique<StripDecoder>(std::move(content), static_cast<size_t>(start),
                                          static_cast<size_t>(stop));
  }
  if (type == "Metaspace") {
    HS_ASSIGN_OR_RETURN(std::string replacement,
                        OneCharacter(j, "replacement", "Metaspace decoder"));
    bool drop_in_first = true;
    if (auto it = j.find("prepend_scheme"); it != j.end() && it->is_string()) {
      drop_in_first = it->get<std::string>() != "never";
    }
    HS_ASSIGN_OR_RETURN(bool add_prefix_space,
                        json_fields::GetBool(j, "add_prefix_space", true, "Metaspace decoder"));
    if (!add_prefix_space) drop_in_first = false;
    return std::make_unique<MetaspaceDecoder>(std::move(replacement), drop_in_first);
  }
  if (type == "Sequence") {
    auto it = j.find("decoders");
    if (it == j.end() || !it->is_array()) {
      return json_fields::BadField("Sequence decoder", "decoders", "an array");
    }
    std::vector<std::unique_ptr<Decoder>> parts;
    for (const Json& part : *it) {
      HS_ASSIGN_OR_RETURN(std::unique_ptr<Decoder> parsed, ParseDecoder(part));
      parts.push_back(std::move(parsed));
    }
    return std::make_unique<SequenceDecoder>(std::move(parts));
  }
  return json_fields::Unsupported("decoder", type);
}

}  // namespace hybridserve::engine
