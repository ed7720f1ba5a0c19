// Why: a decode step multiplies a handful of activation rows by every weight matrix, and its cost
// is reading the weights once. The GEMM path first converts the fp32 rows to the weight type in a
// launch of its own and then calls cuBLAS; at ~1,000 such products per step of a small model,
// those extra launches are a large part of the step.
// How: one warp per output feature n: each lane streams 16-byte chunks (8 weights) of row n of W,
// four chunks in flight at a time (the first ones issued before waiting for the kernel before:
// a chained launch), reads the matching 8 activations of each of the T rows (fp32, float4 loads,
// cached: every warp reads the same rows), rounds them to the weight type (the values the GEMM
// path multiplies), and accumulates in fp32; a warp shuffle reduction then gives the T sums,
// which lane 0 finishes as the launch's plan says (scale, accumulate, bias; or the gated MLP's
// activation). A warp may read two weight rows side by side (gate and up), and one launch may
// cover several projections of the same rows (q, k, v). T is a template parameter (1..8) so the
// sums live in registers. Few features of long rows at one row (a 2048-wide output of an
// 8192-long row, batch-1 decode) would leave each warp walking many batches one after another with
// the GPU short of loads in flight: there two warps share a feature (SplitFor), each taking every
// other batch, and the first adds the second's sums (so the result depends on the launch's split,
// which depends only on T, K and the launch's feature count).
#include <cuda_bf16.h>
#include <cuda_fp16.h>

#include <type_traits>

#include "base/check.h"
#include "kernels/cuda/cuda_check.h"
#include "kernels/cuda/gemv.h"
#include "kernels/cuda/launch.cuh"
#include "kernels/cuda/scalar_math.cuh"
#include "kernels/cuda/storage_type.cuh"

namespace hybridserve::kernels::cuda {
namespace {

constexpr int kWarps = 8;
constexpr int kThreads = kWarps * 32;
constexpr int64_t kBatchElements = 4 * 32 * 8;  // a warp's kUnroll chunks of 8 per lane

__device__ __forceinline__ float Round(float v, const __nv_bfloat16*) {
  return __bfloat162float(__float2bfloat16_rn(v));
}
__device__ __forceinline__ float Round(float v, const __half*) {
  return __half2float(__float2half_rn(v));
}

// What one launch computes is a plan: the output features it has (Features()), where feature n's
// weight rows are (Locate: kMats rows read side by side) and what lane 0 of feature n's warp does
// with the T x kMats sums (Finish).

// Up to kMaxGemvSegments linear layers reading the same x (q, k and v), their features one
// after another: out_s = scale_s * x . W_s^T (+ out_s) (+ bias_s).
template <typename W>
struct SegmentsPlan {
  static constexpr int kMats = 1;
  struct Where {
    int segment;
    int64_t row;
  };
  GemvSegment at[kMaxGemvSegments];
  int count;
  int64_t in_dim;
  __device__ int64_t Features() const {
    int64_t total = 0;
    for (int s = 0; s < count; ++s) total += at[s].out_dim;
    return total;
  }
  __device__ Where Locate(int64_t n) const {
    int s = 0;
    while (s + 1 < count && n >= at[s].out_dim) n -= at[s++].out_dim;
    return {s, n};
  }
  __device__ const W* Row(const Where& where, int) const {
    return static_cast<const W*>(at[where.segment].weight) + where.row * in_dim;
  }
  __device__ void Finish(const Where& where, int64_t t, const float (&sum)[1]) const {
    const GemvSegment& g = at[where.segment];
    float* to = g.out + t * g.out_stride + where.row;
    float v = g.scale * sum[0];
    if (g.accumulate) v += *to;
    if (g.bias != nullptr) v += LoadFloat(static_cast<const W*>(g.bias), where.row);
    *to = v;
  }
};

// The gated MLP's middle: gate and up rows n read side by side, out = act(gate * multiplier) *
// up, as GatedActivate computes it.
template <typename W, cpu::Activation kAct>
struct GatedPlan {
  static constexpr int kMats = 2;
  using Where = int64_t;
  const W* gate;
  const W* up;
  int64_t in_dim, out_dim;
  float* out;
  int64_t out_stride;
  float gate_multiplier;
  __device__ int64_t Features() const { return out_dim; }
  __device__ Where Locate(int64_t n) const { return n; }
  __device__ const W* Row(const Where& n, int m) const { return (m == 0 ? gate : up) + n * in_dim; }
  __device__ void Finish(const Where& n, int64_t t, const float (&sum)[2]) const {
    out[t * out_stride + n] = sum[1] * ApplyActivation<kAct>(sum[0] * gate_multiplier);
  }
};

// kSplit warps per feature (1 or 2): warp part p of a feature takes the batches p, p + kSplit, ...
// of its row; the parts' sums are added in part order through shared memory.
template <typename W, int kRows, int kSplit, class Plan>
__global__ void __launch_bounds__(kThreads)
    GemvKernel(const float* __restrict__ x, int64_t x_stride, int64_t in_dim, Plan plan) {
  constexpr int kMats = Plan::kMats;
  const int lane = threadIdx.x % 32;
  const int warp = threadIdx.x / 32;
  const int part = warp % kSplit;
  const int64_t n = static_cast<int64_t>(blockIdx.x) * (kWarps / kSplit) + warp / kSplit;
  const bool live = n < plan.Features();
  const typename Plan::Where where = plan.Locate(live ? n : 0);
  const W* rows[kMats];
#pragma unroll
  for (int m = 0; m < kMats; ++m) rows[m] = plan.Row(where, m);
  // kUnroll chunks of each row per lane in flight before any is used: one 16-byte load at a
  // time per lane would leave the memory system mostly idle.
  constexpr int kUnroll = 4;
  constexpr int64_t kStep = 32 * 8;
  static_assert(kUnroll * kStep == kBatchElements);
  const int64_t first_k = lane * 8 + part * kUnroll * kStep;
  constexpr int64_t kStrideK = kSplit * kUnroll * kStep;
  uint4 raw[kMats][kUnroll];
  auto load = [&](int64_t k0) {
#pragma unroll
    for (int m = 0; m < kMats; ++m) {
#pragma unroll
      for (int u = 0; u < kUnroll; ++u) {
        const int64_t k = k0 + u * kStep;
        raw[m][u] = live && k < in_dim ? __ldg(reinterpret_cast<const uint4*>(rows[m] + k))
                                       : make_uint4(0, 0, 0, 0);
      }
    }
  };
  // The weights do not depend on the kernel before this one: their first loads are issued
  // before waiting for it (a chained launch, launch.cuh), the activations after.
  load(first_k);
  WaitForPriorGrid();
  AllowDependentGrids();
  if (kSplit == 1 && !live) return;
  float acc[kRows][kMats];
#pragma unroll
  for (int t = 0; t < kRows; ++t) {
#pragma unroll
    for (int m = 0; m < kMats; ++m) acc[t][m] = 0.0f;
  }
  const W* type_tag = nullptr;
  for (int64_t k0 = first_k; (kSplit == 1 || live) && k0 < in_dim; k0 += kStrideK) {
    if (k0 != first_k) load(k0);
#pragma unroll
    for (int u = 0; u < kUnroll; ++u) {
      const int64_t k = k0 + u * kStep;
      if (k >= in_dim) break;
      float w[kMats][8];
#pragma unroll
      for (int m = 0; m < kMats; ++m) Unpack8(raw[m][u], w[m], type_tag);
#pragma unroll
      for (int t = 0; t < kRows; ++t) {
        const float4* xs = reinterpret_cast<const float4*>(x + t * x_stride + k);
        const float4 a = __ldg(xs), b = __ldg(xs + 1);
        const float v[8] = {a.x, a.y, a.z, a.w, b.x, b.y, b.z, b.w};
#pragma unroll
        for (int i = 0; i < 8; ++i) {
          const float rounded = Round(v[i], type_tag);
#pragma unroll
          for (int m = 0; m < kMats; ++m) acc[t][m] = __fmaf_rn(w[m][i], rounded, acc[t][m]);
        }
      }
    }
  }
#pragma unroll
  for (int t = 0; t < kRows; ++t) {
#pragma unroll
    for (int m = 0; m < kMats; ++m) {
#pragma unroll
      for (int offset = 16; offset > 0; offset /= 2) {
        acc[t][m] += __shfl_xor_sync(0xffffffffu, acc[t][m], offset);
      }
    }
  }
  if constexpr (kSplit > 1) {
    __shared__ float parts[kWarps][kRows][kMats];
    if (lane == 0) {
#pragma unroll
      for (int t = 0; t < kRows; ++t) {
#pragma unroll
        for (int m = 0; m < kMats; ++m) parts[warp][t][m] = acc[t][m];
      }
    }
    __syncthreads();
    if (part != 0 || !live) return;
#pragma unroll
    for (int p = 1; p < kSplit; ++p) {
#pragma unroll
      for (int t = 0; t < kRows; ++t) {
#pragma unroll
        for (int m = 0; m < kMats; ++m) acc[t][m] += parts[warp + p][t][m];
      }
    }
  }
  if (lane != 0) return;
#pragma unroll
  for (int t = 0; t < kRows; ++t) plan.Finish(where, t, acc[t]);
}

// Two warps per feature where few features would leave the GPU short of loads in flight (a
// 2048-wide output of a long row: each warp then walks half the batches one after another): one
// row (a decode step at batch 1; more rows make the products heavier, not the latency), at least
// two batches a row, and the warps within what the GPU runs at once.
constexpr int64_t kTargetWarps = 4608;
int SplitFor(int64_t T, int64_t K, int64_t N) {
  const int64_t batches = (K + kBatchElements - 1) / kBatchElements;
  return T == 1 && batches >= 2 && 2 * N <= kTargetWarps ? 2 : 1;
}

template <typename W, int kRows, int kSplit, class Plan>
void LaunchSplit(const float* x, int64_t x_stride, int64_t K, int64_t N, const Plan& plan,
                 cudaStream_t stream) {
  constexpr int64_t kPerBlock = kWarps / kSplit;
  const unsigned blocks = static_cast<unsigned>((N + kPerBlock - 1) / kPerBlock);
  LaunchChained(GemvKernel<W, kRows, kSplit, Plan>, dim3(blocks), dim3(kThreads), 0, stream, x,
                x_stride, K, plan);
}

template <typename W, int kRows, class Plan>
void Launch(const float* x, int64_t x_stride, int64_t K, int64_t N, const Plan& plan,
            cudaStream_t stream) {
  if constexpr (kRows == 1) {
    if (SplitFor(kRows, K, N) == 2)
      return LaunchSplit<W, kRows, 2>(x, x_stride, K, N, plan, stream);
  }
  LaunchSplit<W, kRows, 1>(x, x_stride, K, N, plan, stream);
}

// Launch for T rows (1..kMaxGemvRows, a template argument); N features in all.
template <typename W, class Plan>
void LaunchRows(int64_t T, const float* x, int64_t x_stride, int64_t K, int64_t N, const Plan& plan,
                cudaStream_t stream) {
  switch (T) {
#define HS_GEMV_ROWS(R)                            \
  case R:                                          \
    Launch<W, R>(x, x_stride, K, N, plan, stream); \
    return;
    HS_GEMV_ROWS(1)
    HS_GEMV_ROWS(2)
    HS_GEMV_ROWS(3)
    HS_GEMV_ROWS(4)
    HS_GEMV_ROWS(5)
    HS_GEMV_ROWS(6)
    HS_GEMV_ROWS(7)
    HS_GEMV_ROWS(8)
#undef HS_GEMV_ROWS
  }
  HS_CHECK_MSG(false, "Gemv takes 1 to 8 rows");
}

bool Aligned16(const void* p) { return reinterpret_cast<uintptr_t>(p) % 16 == 0; }

}  // namespace

bool GemvApplies(DType wtype, int64_t num_tokens, int64_t in_dim, const void* weight,
                 const float* x, int64_t x_stride) {
  return wtype != DType::kF32 && num_tokens >= 1 && num_tokens <= kMaxGemvRows && in_dim % 8 == 0 &&
         x_stride % 4 == 0 && Aligned16(weight) && Aligned16(x);
}

void Gemv(const float* x, int64_t x_stride, DType wtype, const void* weight, const void* bias,
          int64_t num_tokens, int64_t in_dim, int64_t out_dim, float* out, int64_t out_stride,
          bool accumulate, float scale, cudaStream_t stream) {
  const GemvSegment segment{weight, bias, out, out_stride, out_dim, scale, accumulate};
  GroupedGemv(x, x_stride, wtype, num_tokens, in_dim, {&segment, 1}, stream);
}

void GroupedGemv(const float* x, int64_t x_stride, DType wtype, int64_t num_tokens, int64_t in_dim,
                 absl::Span<const GemvSegment> segments, cudaStream_t stream) {
  HS_CHECK(!segments.empty() && segments.size() <= kMaxGemvSegments);
  int64_t features = 0;
  for (const GemvSegment& segment : segments) {
    HS_CHECK(GemvApplies(wtype, num_tokens, in_dim, segment.weight, x, x_stride));
    HS_CHECK(segment.out_stride >= segment.out_dim && segment.out_dim >= 0);
    features += segment.out_dim;
  }
  if (features == 0) return;
  DispatchStorage(wtype, [&](auto tag) {
    using W = decltype(tag);
    if constexpr (!std::is_same_v<W, float>) {
      SegmentsPlan<W> plan{};
      for (size_t s = 0; s < segments.size(); ++s) plan.at[s] = segments[s];
      plan.count = static_cast<int>(segments.size());
      plan.in_dim = in_dim;
      LaunchRows<W>(num_tokens, x, x_stride, in_dim, features, plan, stream);
    }
  });
}

void GatedGemv(const float* x, int64_t x_stride, DType wtype, const void* gate_weight,
               const void* up_weight, int64_t num_tokens, int64_t in_dim, int64_t out_dim,
               cpu::Activation act, float gate_multiplier, float* out, int64_t out_stride,
               cudaStream_t stream) {
  HS_CHECK(GemvApplies(wtype, num_tokens, in_dim, gate_weight, x, x_stride) &&
           Aligned16(up_weight));
  if (out_dim == 0) return;
  DispatchStorage(wtype, [&](auto tag) {
    using W = decltype(tag);
    if constexpr (!std::is_same_v<W, float>) {
      DispatchActivation(act, [&](auto kind) {
        const GatedPlan<W, decltype(kind)::value> plan{static_cast<const W*>(gate_weight),
                                                       static_cast<const W*>(up_weight),
                                                       in_dim,
                                                       out_dim,
                                                       out,
                                                       out_stride,
                                                       gate_multiplier};
        LaunchRows<W>(num_tokens, x, x_stride, in_dim, out_dim, plan, stream);
      });
    }
  });
}

}  // namespace hybridserve::kernels::cuda
