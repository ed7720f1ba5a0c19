#include "engine/model/greedy_run.h"

#include <algorithm>
#include <numeric>

#include "absl/strings/str_cat.h"
#include "base/status_macros.h"

namespace hybridserve::engine {

int32_t ArgMax(absl::Span<const float> values) {
  int32_t best = 0;
  for (size_t i = 1; i < values.size(); ++i) {
    if (values[i] > values[best]) best = static_cast<int32_t>(i);
  }
  return best;
}

absl::StatusOr<GreedyRunResult> RunGreedy(ModelRunner& model, absl::Span<const int32_t> prompt,
                                          int64_t num_generate, int64_t prefill_chunk_tokens) {
  if (prompt.empty()) return absl::InvalidArgumentError("the prompt needs at least one token");
  if (num_generate < 0) return absl::InvalidArgumentError("the number to generate must be >= 0");
  const int64_t V = model.spec().vocab_size;
  const int64_t total = static_cast<int64_t>(prompt.size()) + num_generate;
  constexpr int64_t kBlockTokens = 16;
  const int64_t num_blocks = (total + kBlockTokens - 1) / kBlockTokens;
  HS_ASSIGN_OR_RETURN(std::unique_ptr<ModelCache> cache,
                      model.CreateCache(num_blocks, kBlockTokens, /*num_slots=*/1));
  std::vector<int32_t> block_table(static_cast<size_t>(num_blocks));
  // Reverse order, so tests of a single sequence also exercise non-contiguous block tables.
  std::iota(block_table.rbegin(), block_table.rend(), 0);

  GreedyRunResult result;
  const int64_t L = static_cast<int64_t>(prompt.size());
  const int64_t step = prefill_chunk_tokens > 0 ? prefill_chunk_tokens : L;
  std::vector<float> logits;
  for (int64_t begin = 0; begin < L; begin += step) {
    const int64_t n = std::min(step, L - begin);
    SequenceChunk chunk;
    chunk.tokens = prompt.subspan(begin, n);
    chunk.start_position = begin;
    chunk.block_table = block_table;
    chunk.all_logits = true;
    HS_RETURN_IF_ERROR(model.Forward({&chunk, 1}, cache.get(), &logits));
  }
  for (int64_t t = 0; t < L; ++t) {
    result.prompt_logits.emplace_back(logits.begin() + t * V, logits.begin() + (t + 1) * V);
  }
  std::vector<float> current = result.prompt_logits.back();
  for (int64_t i = 0; i < num_generate; ++i) {
    const int32_t token = ArgMax(current);
    result.step_logits.push_back(current);
    result.generated_tokens.push_back(token);
    if (i + 1 == num_generate) break;
    SequenceChunk chunk;
    chunk.tokens = absl::MakeConstSpan(&result.generated_tokens.back(), 1);
    chunk.start_position = L + i;
    chunk.block_table = block_table;
    chunk.decode = true;
    logits.clear();
    HS_RETURN_IF_ERROR(model.Forward({&chunk, 1}, cache.get(), &logits));
    current.assign(logits.begin(), logits.end());
  }
  return result;
}

}  // namespace hybridserve::engine
