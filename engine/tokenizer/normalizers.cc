#include "engine/tokenizer/normalizers.h"

#include <utf8proc.h>

#include <cstdlib>
#include <utility>
#include <vector>

#include "base/status_macros.h"
#include "engine/tokenizer/json_fields.h"
#include "engine/tokenizer/text_pattern.h"
#include "engine/tokenizer/unicode_classes.h"
#include "engine/tokenizer/utf8.h"

namespace hybridserve::engine {
namespace {

using json_fields::Json;

constexpr char kComponent[] = "normalizer";

class UnicodeNormalizer : public Normalizer {
 public:
  explicit UnicodeNormalizer(utf8proc_option_t options) : options_(options) {}
  void Normalize(std::string* text) const override {
    bool ascii = true;
    for (const char c : *text) {
      if (static_cast<unsigned char>(c) >= 0x80) {
        ascii = false;
        break;
      }
    }
    if (ascii) return;  // every normal form leaves ASCII unchanged
    utf8proc_uint8_t* out = nullptr;
    const utf8proc_ssize_t n =
        utf8proc_map(reinterpret_cast<const utf8proc_uint8_t*>(text->data()),
                     static_cast<utf8proc_ssize_t>(text->size()), &out, options_);
    if (n >= 0 && out != nullptr) text->assign(reinterpret_cast<const char*>(out), n);
    std::free(out);
  }

 private:
  utf8proc_option_t options_;
};

class PrependNormalizer : public Normalizer {
 public:
  explicit PrependNormalizer(std::string prefix) : prefix_(std::move(prefix)) {}
  void Normalize(std::string* text) const override {
    if (!text->empty()) text->insert(0, prefix_);
  }

 private:
  std::string prefix_;
};

class ReplaceNormalizer : public Normalizer {
 public:
  ReplaceNormalizer(TextPattern pattern, std::string content)
      : pattern_(std::move(pattern)), content_(std::move(content)) {}
  void Normalize(std::string* text) const override { pattern_.ReplaceAll(content_, text); }

 private:
  TextPattern pattern_;
  std::string content_;
};

class StripNormalizer : public Normalizer {
 public:
  StripNormalizer(bool left, bool right) : left_(left), right_(right) {}
  void Normalize(std::string* text) const override {
    size_t begin = 0;
    size_t end = text->size();
    if (left_) {
      while (begin < end) {
        size_t length = 0;
        const char32_t cp = DecodeCodePoint(*text, begin, &length);
        if (!IsWhiteSpace(cp)) break;
        begin += length;
      }
    }
    if (right_) {
      while (end > begin) {
        size_t start = end - 1;
        while (start > begin && (static_cast<unsigned char>((*text)[start]) & 0xC0) == 0x80) {
          --start;
        }
        size_t length = 0;
        const char32_t cp = DecodeCodePoint(*text, start, &length);
        if (!IsWhiteSpace(cp)) break;
        end = start;
      }
    }
    *text = text->substr(begin, end - begin);
  }

 private:
  bool left_;
  bool right_;
};

class SequenceNormalizer : public Normalizer {
 public:
  explicit SequenceNormalizer(std::vector<std::unique_ptr<Normalizer>> parts)
      : parts_(std::move(parts)) {}
  void Normalize(std::string* text) const override {
    for (const auto& part : parts_) part->Normalize(text);
  }

 private:
  std::vector<std::unique_ptr<Normalizer>> parts_;
};

}  // namespace

absl::StatusOr<std::unique_ptr<Normalizer>> ParseNormalizer(const Json& j) {
  const std::string type = json_fields::TypeOf(j);
  if (type == "NFC")
    return std::make_unique<UnicodeNormalizer>(
        static_cast<utf8proc_option_t>(UTF8PROC_STABLE | UTF8PROC_COMPOSE));
  if (type == "NFD")
    return std::make_unique<UnicodeNormalizer>(
        static_cast<utf8proc_option_t>(UTF8PROC_STABLE | UTF8PROC_DECOMPOSE));
  if (type == "NFKC")
    return std::make_unique<UnicodeNormalizer>(
        static_cast<utf8proc_option_t>(UTF8PROC_STABLE | UTF8PROC_COMPOSE | UTF8PROC_COMPAT));
  if (type == "NFKD")
    return std::make_unique<UnicodeNormalizer>(
        static_cast<utf8proc_option_t>(UTF8PROC_STABLE | UTF8PROC_DECOMPOSE | UTF8PROC_COMPAT));
  if (type == "Prepend") {
    HS_ASSIGN_OR_RETURN(std::string prefix, json_fields::GetString(j, "prepend", "Prepend"));
    return std::make_unique<PrependNormalizer>(std::move(prefix));
  }
  if (type == "Replace") {
    bool is_regex = false;
    HS_ASSIGN_OR_RETURN(std::string pattern,
                        json_fields::GetPattern(j, "pattern", &is_regex, "Replace normalizer"));
    HS_ASSIGN_OR_RETURN(std::string content,
                        json_fields::GetString(j, "content", "Replace normalizer"));
    HS_ASSIGN_OR_RETURN(TextPattern compiled, TextPattern::Create(std::move(pattern), is_regex));
    return std::make_unique<ReplaceNormalizer>(std::move(compiled), std::move(content));
  }
  if (type == "Strip") {
    HS_ASSIGN_OR_RETURN(bool left, json_fields::GetBool(j, "strip_left", true, "Strip"));
    HS_ASSIGN_OR_RETURN(bool right, json_fields::GetBool(j, "strip_right", true, "Strip"));
    return std::make_unique<StripNormalizer>(left, right);
  }
  if (type == "Sequence") {
    auto it = j.find("normalizers");
    if (it == j.end() || !it->is_array()) {
      return json_fields::BadField("Sequence normalizer", "normalizers", "an array");
    }
    std::vector<std::unique_ptr<Normalizer>> parts;
    for (const Json& part : *it) {
      HS_ASSIGN_OR_RETURN(std::unique_ptr<Normalizer> parsed, ParseNormalizer(part));
      parts.push_back(std::move(parsed));
    }
    return std::make_unique<SequenceNormalizer>(std::move(parts));
  }
  return json_fields::Unsupported(kComponent, type);
}

}  // namespace hybridserve::engine
