#include "engine/model/cpu_model.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "base/status_macros.h"
#include "engine/model/blocks/attention_block.h"
#include "engine/model/blocks/ffn_block.h"
#include "engine/model/blocks/linear_apply.h"
#include "engine/model/blocks/mamba1_block.h"
#include "engine/model/blocks/mamba2_block.h"
#include "engine/model/blocks/zamba_shared_block.h"
#include "engine/model/chunk_validation.h"
#include "engine/model/families/family_registry.h"
#include "kernels/cpu/ops.h"

namespace hybridserve::engine {

CpuModel::CpuModel(ModelSpec spec, std::unique_ptr<WeightStore> weights, int num_threads)
    : spec_(std::move(spec)), weights_(std::move(weights)), pool_(num_threads) {}

absl::StatusOr<std::unique_ptr<CpuModel>> CpuModel::Load(const std::string& dir,
                                                         const CpuModelOptions& options) {
  HS_ASSIGN_OR_RETURN(ModelSpec spec, LoadModelSpec(dir));
  HS_ASSIGN_OR_RETURN(std::unique_ptr<Checkpoint> checkpoint, Checkpoint::Open(dir));
  return Create(std::move(spec), *checkpoint, options);
}

absl::StatusOr<std::unique_ptr<CpuModel>> CpuModel::Create(ModelSpec spec,
                                                           const Checkpoint& checkpoint,
                                                           const CpuModelOptions& options) {
  HS_ASSIGN_OR_RETURN(std::unique_ptr<WeightStore> weights, WeightStore::Load(spec, checkpoint));
  return std::unique_ptr<CpuModel>(
      new CpuModel(std::move(spec), std::move(weights), options.num_threads));
}

void CpuModel::RunLayer(const LayerSpec& layer, const StepContext& ctx, float* h, const float* e0) {
  const WeightStore& w = *weights_;
  const int64_t T = ctx.num_tokens;
  const int64_t D = spec_.hidden_size;
  const size_t size = static_cast<size_t>(T * D);
  std::vector<float> normed(size), mixed(size), branch(size);

  if (layer.mixer != MixerKind::kNone) {
    std::copy_n(h, size, normed.data());
    if (layer.zamba_shared) {
      RunZambaShared(*layer.zamba_shared, ctx, h, e0, branch.data());
      for (size_t i = 0; i < size; ++i) normed[i] += branch[i];
    }
    kernels::cpu::RmsNorm(normed.data(), w.Get(layer.mixer_norm.weight), T, D, layer.mixer_norm.eps,
                          normed.data(), &pool_);
    std::fill(mixed.begin(), mixed.end(), 0.0f);
    if (layer.attention) {
      const float* in = normed.data();
      std::vector<float> scaled;
      if (layer.attention_in_multiplier != 1.0f) {
        scaled = normed;
        Scale(scaled.data(), T * D, layer.attention_in_multiplier);
        in = scaled.data();
      }
      RunAttention(*layer.attention, ctx, in, branch.data());
      for (size_t i = 0; i < size; ++i) mixed[i] += layer.attention_out_multiplier * branch[i];
    }
    if (layer.mamba2) {
      RunMamba2(*layer.mamba2, ctx, normed.data(), branch.data());
      for (size_t i = 0; i < size; ++i) mixed[i] += layer.ssm_out_multiplier * branch[i];
    }
    if (layer.mamba1) {
      RunMamba1(*layer.mamba1, ctx, normed.data(), branch.data());
      for (size_t i = 0; i < size; ++i) mixed[i] += layer.ssm_out_multiplier * branch[i];
    }
    for (size_t i = 0; i < size; ++i) h[i] += layer.residual_multiplier * mixed[i];
  }

  if (layer.mlp || layer.moe) {
    kernels::cpu::RmsNorm(h, w.Get(layer.ffn_norm.weight), T, D, layer.ffn_norm.eps, normed.data(),
                          &pool_);
    bool have = false;
    if (layer.mlp) {
      RunMlp(*layer.mlp, w, &pool_, normed.data(), T, mixed.data(), false);
      have = true;
    }
    if (layer.moe) RunMoe(*layer.moe, ctx, normed.data(), mixed.data(), /*accumulate=*/have);
    for (size_t i = 0; i < size; ++i) h[i] += layer.residual_multiplier * mixed[i];
  }
}

absl::StatusOr<std::unique_ptr<ModelCache>> CpuModel::CreateCache(int64_t num_blocks,
                                                                  int64_t block_size_tokens,
                                                                  int64_t num_slots) {
  return std::make_unique<CacheStore>(spec_, num_blocks, block_size_tokens, num_slots);
}

absl::Status CpuModel::Forward(absl::Span<const SequenceChunk> chunks, ModelCache* model_cache,
                               std::vector<float>* logits) {
  auto* cache = dynamic_cast<CacheStore*>(model_cache);
  if (cache == nullptr) {
    return absl::InvalidArgumentError("the CPU model runs on a CacheStore (CpuModel::CreateCache)");
  }
  HS_RETURN_IF_ERROR(ValidateChunks(spec_, chunks, *cache));
  StepContext ctx;
  ctx.chunks = chunks;
  ctx.cache = cache;
  ctx.weights = weights_.get();
  ctx.pool = &pool_;
  ctx.row_begin.push_back(0);
  for (const SequenceChunk& chunk : chunks) {
    for (size_t t = 0; t < chunk.tokens.size(); ++t) {
      ctx.positions.push_back(chunk.start_position + static_cast<int64_t>(t));
    }
    ctx.row_begin.push_back(static_cast<int64_t>(ctx.positions.size()));
    if (chunk.start_position == 0 && spec_.num_ssm_layers > 0) cache->ResetSlot(chunk.ssm_slot);
  }
  ctx.num_tokens = static_cast<int64_t>(ctx.positions.size());
  const int64_t T = ctx.num_tokens;
  const int64_t D = spec_.hidden_size;

  // Embeddings (kept unscaled-by-layers as e0 for Zamba2's shared blocks).
  std::vector<float> h(static_cast<size_t>(T * D));  // [T, D]
  const float* table = weights_->Get(spec_.embedding);
  int64_t row = 0;
  for (const SequenceChunk& chunk : chunks) {
    for (int32_t token : chunk.tokens) {
      std::copy_n(table + static_cast<int64_t>(token) * D, D, h.data() + row * D);
      ++row;
    }
  }
  Scale(h.data(), T * D, spec_.embedding_multiplier);
  const std::vector<float> e0 = h;

  for (const LayerSpec& layer : spec_.layers) RunLayer(layer, ctx, h.data(), e0.data());

  // Rows that need logits.
  std::vector<int64_t> wanted;
  for (size_t c = 0; c < chunks.size(); ++c) {
    if (ctx.rows(c) == 0) continue;
    if (chunks[c].all_logits) {
      for (int64_t r = ctx.row_begin[c]; r < ctx.row_begin[c + 1]; ++r) wanted.push_back(r);
    } else {
      wanted.push_back(ctx.row_begin[c + 1] - 1);
    }
  }
  const int64_t num_rows = static_cast<int64_t>(wanted.size());
  std::vector<float> last(static_cast<size_t>(num_rows * D));
  for (int64_t r = 0; r < num_rows; ++r) {
    std::copy_n(h.data() + wanted[r] * D, D, last.data() + r * D);
  }
  kernels::cpu::RmsNorm(last.data(), weights_->Get(spec_.final_norm.weight), num_rows, D,
                        spec_.final_norm.eps, last.data(), &pool_);
  const int64_t V = spec_.vocab_size;
  const size_t base = logits->size();
  logits->resize(base + static_cast<size_t>(num_rows * V));
  ApplyLinear(spec_.lm_head, *weights_, last.data(), D, num_rows, logits->data() + base, V);
  Scale(logits->data() + base, num_rows * V, spec_.logits_multiplier);
  return absl::OkStatus();
}

}  // namespace hybridserve::engine
