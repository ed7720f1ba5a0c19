#include "engine/cache/cache_plan.h"

#include <algorithm>
#include <limits>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "engine/model/cache_store.h"

namespace hybridserve::engine {
namespace {

constexpr int64_t kNoLimit = std::numeric_limits<int64_t>::max();
// Models that do not state a maximum position get this one.
constexpr int64_t kFallbackMaxPositions = int64_t{1} << 20;

double MiB(int64_t bytes) { return static_cast<double>(bytes) / (1024.0 * 1024.0); }

}  // namespace

absl::StatusOr<CachePlan> PlanCache(const ModelSpec& spec, const CacheOptions& options) {
  if (options.state_dtype != StateDType::kFloat32) {
    return absl::UnimplementedError(
        "ssm state dtype bf16 is not implemented on the cpu backend; use fp32 (the default)");
  }
  if (options.block_size_tokens <= 0) {
    return absl::InvalidArgumentError(absl::StrCat("block size ", options.block_size_tokens,
                                                   " tokens must be positive (e.g. 16)"));
  }
  if (options.kv_cache_bytes < 0 || options.ssm_cache_bytes < 0 || options.num_blocks < 0 ||
      options.num_slots < 0 || options.max_running < 0) {
    return absl::InvalidArgumentError("cache budgets, pool sizes and max_running must be >= 0");
  }
  if (options.kv_element_bytes != 2 && options.kv_element_bytes != 4) {
    return absl::InvalidArgumentError(
        absl::StrCat("a KV element is 2 or 4 bytes, not ", options.kv_element_bytes));
  }
  CachePlan plan;
  plan.block_size_tokens = options.block_size_tokens;
  for (const KvLayerShape& kv : KvLayerShapes(spec)) {
    plan.kv_bytes_per_block +=
        2 * options.block_size_tokens * kv.num_kv_heads * kv.head_dim * options.kv_element_bytes;
  }
  for (const SsmLayerShape& ssm : SsmLayerShapes(spec)) {
    plan.ssm_bytes_per_slot += (ssm.conv_channels * ssm.conv_width + ssm.state_floats) *
                               static_cast<int64_t>(sizeof(float));
  }
  const int64_t max_positions =
      spec.max_position_embeddings > 0 ? spec.max_position_embeddings : kFallbackMaxPositions;

  // SSM slots: one per running sequence.
  int64_t slot_limit = kNoLimit;
  if (plan.ssm_bytes_per_slot > 0) {
    slot_limit = options.num_slots > 0 ? options.num_slots
                                       : options.ssm_cache_bytes / plan.ssm_bytes_per_slot;
    if (slot_limit == 0) {
      return absl::InvalidArgumentError(absl::StrFormat(
          "the ssm state budget of %d bytes holds no slot of %d bytes; raise ssm_cache_bytes",
          options.ssm_cache_bytes, plan.ssm_bytes_per_slot));
    }
  } else if (options.num_slots > 0) {
    slot_limit = options.num_slots;
  }
  // KV blocks: at least one per running sequence.
  int64_t block_limit = kNoLimit;
  if (plan.kv_bytes_per_block > 0) {
    block_limit = options.num_blocks > 0 ? options.num_blocks
                                         : options.kv_cache_bytes / plan.kv_bytes_per_block;
    if (block_limit == 0) {
      return absl::InvalidArgumentError(absl::StrFormat(
          "the kv cache budget of %d bytes holds no block of %d bytes; raise kv_cache_bytes",
          options.kv_cache_bytes, plan.kv_bytes_per_block));
    }
  }
  const int64_t fit = std::min(slot_limit, block_limit);
  const char* limited_by = slot_limit <= block_limit ? "ssm state slots" : "kv blocks";
  if (options.max_running == 0) {
    plan.max_running = std::min(fit, kDefaultMaxRunning);
  } else if (options.max_running > fit) {
    plan.max_running = fit;
    plan.warnings.push_back(absl::StrFormat(
        "requested max_running %d cannot fit: limited by %s; running at most %d sequences",
        options.max_running, limited_by, fit));
  } else {
    plan.max_running = options.max_running;
  }
  // Slots beyond max_running would never be used.
  plan.num_slots = plan.max_running;
  if (plan.kv_bytes_per_block > 0) {
    plan.num_blocks = block_limit;
    plan.max_sequence_tokens = std::min(max_positions, plan.num_blocks * options.block_size_tokens);
  } else {
    // No attention layers: block ids are bookkeeping only (no memory behind them).
    plan.max_sequence_tokens = max_positions;
    plan.num_blocks = plan.max_running *
                      ((max_positions + options.block_size_tokens - 1) / options.block_size_tokens);
  }
  plan.report = absl::StrFormat(
      "kv cache: %d blocks of %d tokens (%.1f MiB, %d bytes per block); ssm state: %d slots "
      "(%.1f MiB, %d bytes per slot, fp32); max running sequences: %d (limited by %s); "
      "max sequence tokens: %d",
      plan.kv_bytes_per_block > 0 ? plan.num_blocks : 0, plan.block_size_tokens,
      MiB(plan.kv_bytes_per_block > 0 ? plan.num_blocks * plan.kv_bytes_per_block : 0),
      plan.kv_bytes_per_block, plan.num_slots, MiB(plan.num_slots * plan.ssm_bytes_per_slot),
      plan.ssm_bytes_per_slot, plan.max_running,
      options.max_running != 0 && options.max_running <= fit ? "the requested value" : limited_by,
      plan.max_sequence_tokens);
  return plan;
}

}  // namespace hybridserve::engine
