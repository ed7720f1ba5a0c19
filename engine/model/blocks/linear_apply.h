// Applying the spec's linear pieces (LinearSpec, LoraSpec) to a batch of rows on the CPU.
#ifndef HYBRIDSERVE_ENGINE_MODEL_BLOCKS_LINEAR_APPLY_H_
#define HYBRIDSERVE_ENGINE_MODEL_BLOCKS_LINEAR_APPLY_H_

#include <cstdint>

#include "engine/model/model_spec.h"
#include "engine/model/weight_store.h"

namespace hybridserve::engine {

// out[T, out_dim] (row stride out_stride) = x[T, in_dim] (row stride x_stride) . W^T + b.
void ApplyLinear(const LinearSpec& linear, const WeightStore& weights, const float* x,
                 int64_t x_stride, int64_t num_tokens, float* out, int64_t out_stride,
                 bool accumulate = false);

// out += up(down(x)) when the adapter is present; no-op otherwise.
void ApplyLora(const LoraSpec& lora, const WeightStore& weights, const float* x, int64_t x_stride,
               int64_t num_tokens, float* out, int64_t out_stride);

// x[i] *= factor for n elements (skipped when factor == 1).
void Scale(float* x, int64_t n, float factor);

}  // namespace hybridserve::engine

#endif  // HYBRIDSERVE_ENGINE_MODEL_BLOCKS_LINEAR_APPLY_H_
