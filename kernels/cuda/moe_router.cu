// Why: the mixture-of-experts layers pick top_k experts per token and a gate weight for each;
// GraniteMoeHybrid, Jamba and Nemotron-H pick and weigh differently (see cpu::RouteTokens, whose
// results this op reproduces: the same experts in the same order, ties toward the lower id).
// How: one warp per token, its values in shared memory (E <= 512, so a lane owns experts lane,
// lane + 32, ... and marks the ones already taken in a 16-bit mask). Top-k is k rounds of a warp
// arg-max under the CPU's order (greater value first, then lower index), which picks exactly the
// sequence std::partial_sort yields. Softmax over all experts uses a warp max and a warp sum;
// the k-element softmax and the grouped router's weight normalisation run on lane 0 in the CPU's
// sequential order. Group scores (sum of a group's two best choice values) are computed by one
// lane per group; the top_groups groups are picked with the same arg-max.
#include <algorithm>
#include <climits>
#include <cmath>

#include "base/check.h"
#include "kernels/cuda/cuda_check.h"
#include "kernels/cuda/ops.h"
#include "kernels/cuda/reduce.cuh"
#include "kernels/cuda/scalar_math.cuh"

namespace hybridserve::kernels::cuda {

namespace {

constexpr int kMaxExperts = 512;
constexpr int kMaxTopK = 16;
constexpr int kMaxGroups = 64;
constexpr int kRouterWarps = 4;  // tokens per block

// True when (v, i) goes before (best_v, best_i) in the CPU's order. best_i == INT_MAX: no
// candidate yet.
__device__ __forceinline__ bool Before(float v, int i, float best_v, int best_i) {
  return best_i == INT_MAX || v > best_v || (v == best_v && i < best_i);
}

// The index of the first of values[0..n) in the CPU's order among those not taken yet, on every
// lane; marks it taken. Lane l owns indices l + 32 j, bit j of its taken mask. At least one
// untaken index must remain.
template <typename Mask>
__device__ int WarpTakeBest(const float* values, int n, Mask& taken) {
  const int lane = threadIdx.x & 31;
  float best_v = -INFINITY;
  int best_i = INT_MAX;
  for (int j = 0, e = lane; e < n; ++j, e += 32) {
    if ((taken >> j) & 1) continue;
    const float v = values[e];
    if (Before(v, e, best_v, best_i)) {
      best_v = v;
      best_i = e;
    }
  }
  for (int offset = 16; offset > 0; offset >>= 1) {
    const float other_v = __shfl_xor_sync(kFullWarp, best_v, offset);
    const int other_i = __shfl_xor_sync(kFullWarp, best_i, offset);
    if (other_i != INT_MAX && Before(other_v, other_i, best_v, best_i)) {
      best_v = other_v;
      best_i = other_i;
    }
  }
  if ((best_i & 31) == lane) taken |= Mask{1} << (best_i >> 5);
  return best_i;
}

struct RouterArgs {
  cpu::Router kind;
  int num_experts;
  int top_k;
  const float* correction_bias;
  int num_groups;
  int top_groups;
  bool normalize;
  float scaling;
};

__global__ void __launch_bounds__(kRouterWarps * 32)
    RouteTokensKernel(const RouterArgs args, const float* logits, int64_t num_tokens,
                      int32_t* experts, float* weights) {
  __shared__ float s_values[kRouterWarps][kMaxExperts];  // the values experts are chosen by
  __shared__ float s_scores[kRouterWarps][kMaxExperts];  // sigmoid scores (grouped router)
  __shared__ float s_group_scores[kRouterWarps][kMaxGroups];
  __shared__ int s_chosen[kRouterWarps][kMaxTopK];
  const int lane = threadIdx.x & 31;
  const int warp = threadIdx.x >> 5;
  float* values = s_values[warp];
  float* scores = s_scores[warp];
  int* chosen = s_chosen[warp];
  const int E = args.num_experts;
  const int k = args.top_k;

  for (int64_t t = static_cast<int64_t>(blockIdx.x) * kRouterWarps + warp; t < num_tokens;
       t += static_cast<int64_t>(gridDim.x) * kRouterWarps) {
    const float* row = logits + t * E;
    int32_t* experts_row = experts + t * k;
    float* weights_row = weights + t * k;

    if (args.kind == cpu::Router::kTopkThenSoftmax) {
      for (int e = lane; e < E; e += 32) values[e] = row[e];
    } else if (args.kind == cpu::Router::kSoftmaxThenTopk) {
      float max_value = -INFINITY;
      for (int e = lane; e < E; e += 32) max_value = fmaxf(max_value, row[e]);
      max_value = WarpMax(max_value);
      float sum = 0.0f;
      for (int e = lane; e < E; e += 32) {
        values[e] = expf(row[e] - max_value);
        sum += values[e];
      }
      sum = WarpSum(sum);
      for (int e = lane; e < E; e += 32) values[e] = values[e] / sum;
    } else {
      for (int e = lane; e < E; e += 32) {
        scores[e] = Sigmoid(row[e]);
        values[e] =
            args.correction_bias != nullptr ? scores[e] + args.correction_bias[e] : scores[e];
      }
      if (args.top_groups < args.num_groups) {
        __syncwarp();
        const int group_size = E / args.num_groups;
        for (int g = lane; g < args.num_groups; g += 32) {
          // The two largest values of the group (their sum does not depend on tie order).
          const float* group_values = values + g * group_size;
          float first = group_values[0];
          float second = -INFINITY;
          for (int i = 1; i < group_size; ++i) {
            const float v = group_values[i];
            if (v > first) {
              second = first;
              first = v;
            } else if (v > second) {
              second = v;
            }
          }
          float sum = 0.0f;
          sum += first;
          if (group_size >= 2) sum += second;
          s_group_scores[warp][g] = sum;
        }
        __syncwarp();
        uint32_t groups_taken = 0;  // kMaxGroups = 64: two indices per lane
        uint64_t kept = 0;
        for (int j = 0; j < args.top_groups; ++j) {
          kept |= uint64_t{1} << WarpTakeBest(s_group_scores[warp], args.num_groups, groups_taken);
        }
        for (int e = lane; e < E; e += 32) {
          if (((kept >> (e / group_size)) & 1) == 0) values[e] = -INFINITY;
        }
      }
    }
    __syncwarp();

    uint32_t taken = 0;  // kMaxExperts = 512: 16 indices per lane
    for (int j = 0; j < k; ++j) {
      const int best = WarpTakeBest(values, E, taken);
      if (lane == 0) chosen[j] = best;
    }

    if (lane == 0) {
      for (int j = 0; j < k; ++j) experts_row[j] = chosen[j];
      if (args.kind == cpu::Router::kTopkThenSoftmax) {
        // Softmax over the k chosen logits, sequentially as the CPU.
        float max_value = -INFINITY;
        for (int j = 0; j < k; ++j) max_value = fmaxf(max_value, values[chosen[j]]);
        float sum = 0.0f;
        for (int j = 0; j < k; ++j) {
          weights_row[j] = expf(values[chosen[j]] - max_value);
          sum += weights_row[j];
        }
        for (int j = 0; j < k; ++j) weights_row[j] = weights_row[j] / sum;
      } else if (args.kind == cpu::Router::kSoftmaxThenTopk) {
        for (int j = 0; j < k; ++j) weights_row[j] = values[chosen[j]];
      } else {
        float w[kMaxTopK];
        float sum = 0.0f;
        for (int j = 0; j < k; ++j) {
          w[j] = scores[chosen[j]];
          sum += w[j];
        }
        if (args.normalize) {
          const float denominator = sum + 1e-20f;
          for (int j = 0; j < k; ++j) w[j] = w[j] / denominator;
        }
        for (int j = 0; j < k; ++j) weights_row[j] = w[j] * args.scaling;
      }
    }
    __syncwarp();  // lane 0 has read this token's values before they are overwritten
  }
}

}  // namespace

void RouteTokens(const cpu::RouterParams& params, const float* logits, int64_t num_tokens,
                 int32_t* experts, float* weights, cudaStream_t stream) {
  const int64_t E = params.num_experts;
  const int64_t k = params.top_k;
  HS_CHECK(k > 0 && k <= E);
  HS_CHECK_MSG(E <= kMaxExperts, "more than 512 experts are not supported");
  HS_CHECK_MSG(k <= kMaxTopK, "top_k above 16 is not supported");
  HS_CHECK(num_tokens >= 0);
  if (params.kind == cpu::Router::kSigmoidGroupedTopk) {
    HS_CHECK(params.num_groups > 0 && E % params.num_groups == 0);
    HS_CHECK(params.top_groups > 0 && params.top_groups <= params.num_groups);
    HS_CHECK_MSG(params.num_groups <= kMaxGroups, "more than 64 expert groups are not supported");
  }
  if (num_tokens == 0) return;
  RouterArgs args;
  args.kind = params.kind;
  args.num_experts = static_cast<int>(E);
  args.top_k = static_cast<int>(k);
  args.correction_bias = params.correction_bias;
  args.num_groups = static_cast<int>(params.num_groups);
  args.top_groups = static_cast<int>(params.top_groups);
  args.normalize = params.normalize;
  args.scaling = params.scaling;
  const int64_t blocks = (num_tokens + kRouterWarps - 1) / kRouterWarps;
  RouteTokensKernel<<<static_cast<unsigned>(std::min<int64_t>(blocks, int64_t{1} << 20)),
                      kRouterWarps * 32, 0, stream>>>(args, logits, num_tokens, experts, weights);
  HS_CUDA_CHECK_LAUNCH();
}

}  // namespace hybridserve::kernels::cuda
