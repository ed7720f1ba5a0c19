#include "engine/model/chunk_validation.h"

#include "absl/strings/str_cat.h"

namespace hybridserve::engine {

absl::Status ValidateChunks(const ModelSpec& spec, absl::Span<const SequenceChunk> chunks,
                            const ModelCache& cache) {
  for (size_t c = 0; c < chunks.size(); ++c) {
    const SequenceChunk& chunk = chunks[c];
    for (int32_t token : chunk.tokens) {
      if (token < 0 || token >= spec.vocab_size) {
        return absl::InvalidArgumentError(absl::StrCat(
            "token id ", token, " is outside the vocabulary [0, ", spec.vocab_size, ")"));
      }
    }
    if (chunk.start_position < 0) {
      return absl::InvalidArgumentError("start_position must be >= 0");
    }
    if (chunk.decode && (chunk.tokens.size() != 1 || chunk.start_position == 0)) {
      return absl::InvalidArgumentError(
          "a decode step feeds exactly one token after at least one earlier token");
    }
    if (spec.num_ssm_layers > 0 && (chunk.ssm_slot < 0 || chunk.ssm_slot >= cache.num_slots())) {
      return absl::InvalidArgumentError(
          absl::StrCat("ssm slot ", chunk.ssm_slot, " is outside [0, ", cache.num_slots(), ")"));
    }
    if (spec.num_kv_layers > 0) {
      const int64_t end = chunk.start_position + static_cast<int64_t>(chunk.tokens.size());
      const int64_t needed = (end + cache.block_size_tokens() - 1) / cache.block_size_tokens();
      if (static_cast<int64_t>(chunk.block_table.size()) < needed) {
        return absl::InvalidArgumentError(absl::StrCat("block table of ", chunk.block_table.size(),
                                                       " blocks cannot hold ", end, " positions"));
      }
      for (int64_t b = 0; b < needed; ++b) {
        if (chunk.block_table[b] < 0 || chunk.block_table[b] >= cache.num_blocks()) {
          return absl::InvalidArgumentError(
              absl::StrCat("block id ", chunk.block_table[b], " is outside the KV store"));
        }
      }
    }
  }
  return absl::OkStatus();
}

}  // namespace hybridserve::engine
