// tokenizer.json normalizers: NFC, NFD, NFKC, NFKD (utf8proc), Prepend, Replace, Strip, and
// Sequence of these. A normalizer rewrites one piece of input text (the text between added
// tokens) in place; the text is valid UTF-8 before and after.
#ifndef HYBRIDSERVE_ENGINE_TOKENIZER_NORMALIZERS_H_
#define HYBRIDSERVE_ENGINE_TOKENIZER_NORMALIZERS_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "nlohmann/json.hpp"

namespace hybridserve::engine {

class Normalizer {
 public:
  virtual ~Normalizer() = default;
  virtual void Normalize(std::string* text) const = 0;
};

// Builds the normalizer described by a tokenizer.json "normalizer" object (not null). Unknown
// types are an error naming the type.
absl::StatusOr<std::unique_ptr<Normalizer>> ParseNormalizer(const nlohmann::json& j);

}  // namespace hybridserve::engine

#endif  // HYBRIDSERVE_ENGINE_TOKENIZER_NORMALIZERS_H_
