// tokenizer.json post-processors for a single sequence: TemplateProcessing (adds the template's
// special tokens, e.g. BOS/EOS, around the sequence when add_special_tokens is true), ByteLevel
// (changes only offsets, so nothing here), and Sequence of these.
#ifndef HYBRIDSERVE_ENGINE_TOKENIZER_POST_PROCESSOR_H_
#define HYBRIDSERVE_ENGINE_TOKENIZER_POST_PROCESSOR_H_

#include <cstdint>
#include <vector>

#include "absl/status/statusor.h"
#include "nlohmann/json.hpp"

namespace hybridserve::engine {

class PostProcessor {
 public:
  // Parses a "post_processor" object; null gives a processor that changes nothing.
  static absl::StatusOr<PostProcessor> FromJson(const nlohmann::json& j);

  // Applies the single-sequence template to ids.
  void Process(bool add_special_tokens, std::vector<int32_t>* ids) const;

 private:
  absl::Status Add(const nlohmann::json& j);

  struct Step {
    // One template: its pieces in order; an empty ids list stands for the sequence itself.
    std::vector<std::vector<int32_t>> pieces;
  };
  std::vector<Step> steps_;
};

}  // namespace hybridserve::engine

#endif  // HYBRIDSERVE_ENGINE_TOKENIZER_POST_PROCESSOR_H_
