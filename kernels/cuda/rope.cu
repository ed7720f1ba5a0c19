// Why: rotary position embedding for the attention layers that use it. The angles must round as
// PyTorch's fp32 ones do: at large positions one ulp of inv_freq moves the angle by far more
// than the tolerance, so the device must not recompute inv_freq with its own powf.
// How: the host computes inv_freq[i] = 1 / (float(theta) ^ (float(2i) / float(rotary_dim))) with
// exactly the CPU op's expression (std::pow in fp32) and passes the table by value as a kernel
// parameter. One block per token (q and k together, ApplyRopeQk): its threads form angle =
// float(pos) * inv_freq[i] (fp32) and cos/sin once into shared memory, then rotate every head's
// pairs (i, i + rotary_dim/2) in the NeoX order: lo*cos + (-hi)*sin, hi*cos + lo*sin. Channels from
// rotary_dim on are untouched. ApplyRopeQkWriteKv then has the same block store the token's
// rotated k and its v in the paged cache (WriteKv's addressing and rounding), one launch fewer.
#include <algorithm>
#include <cmath>
#include <type_traits>

#include "base/check.h"
#include "kernels/cuda/attention_tiles.cuh"
#include "kernels/cuda/cuda_check.h"
#include "kernels/cuda/launch.cuh"
#include "kernels/cuda/ops.h"
#include "kernels/cuda/storage_type.cuh"

namespace hybridserve::kernels::cuda {

namespace {

constexpr int kMaxRotaryHalf = 256;  // rotary_dim <= 512
constexpr int kRopeThreads = 128;

struct InvFreq {
  float values[kMaxRotaryHalf];
};

// Up to two tensors of the same tokens (q and k), rotated with the same angles.
struct RopeTensors {
  float* x[2];
  int64_t stride[2];
  int64_t num_heads[2];
};

// Where the rotated k (tensors.x[1]) and v go: WriteKv's cache rows.
struct KvRows {
  const float* v;
  int64_t v_stride;
  BatchLayout batch;
  void* keys;
  void* values;
  int32_t block_size;
  int32_t row_elements;  // nkv * head_dim
};

// Token t's cos/sin of every rotary pair into shared memory.
__device__ __forceinline__ void Angles(const int64_t* positions, int64_t t, int64_t half,
                                       const InvFreq& inv_freq, float* cos_v, float* sin_v) {
  const float position = static_cast<float>(positions[t]);
  for (int64_t i = threadIdx.x; i < half; i += blockDim.x) {
    const float angle = position * inv_freq.values[i];
    cos_v[i] = cosf(angle);
    sin_v[i] = sinf(angle);
  }
}

// Token t's entry in the paged cache (WriteKv's addressing), in elements.
__device__ __forceinline__ int64_t CacheRowOffset(const KvRows& kv, int64_t t) {
  const BatchLayout& b = kv.batch;
  return TokenCacheRow(static_cast<int>(t), b.token_seq, b.seq_row_begin, b.seq_start_pos,
                       b.block_tables, b.max_blocks, kv.block_size) *
         kv.row_elements;
}

// T: the cache's storage type, or void for rotation only. The positions and the batch layout
// were uploaded before the step: the block's first token's angles and cache row are worked out
// before waiting for the kernel before (a chained launch), only the rotation and the stores after.
template <typename T>
__global__ void __launch_bounds__(kRopeThreads)
    ApplyRopeKernel(RopeTensors tensors, const int64_t* positions, int64_t num_tokens,
                    int64_t head_dim, int64_t half, const InvFreq inv_freq, KvRows kv) {
  __shared__ float cos_v[kMaxRotaryHalf];
  __shared__ float sin_v[kMaxRotaryHalf];
  // The next kernel (decode attention) may start now: it waits for this one's completion before
  // reading what this one writes, and meanwhile loads the cache rows of earlier steps.
  AllowDependentGrids();
  int64_t t = blockIdx.x;
  int64_t offset = 0;  // the token's cache row (T non-void)
  if (t < num_tokens) {
    Angles(positions, t, half, inv_freq, cos_v, sin_v);
    if constexpr (!std::is_void_v<T>) offset = CacheRowOffset(kv, t);
  }
  WaitForPriorGrid();
  for (; t < num_tokens; t += gridDim.x) {
    if (t != blockIdx.x) {
      Angles(positions, t, half, inv_freq, cos_v, sin_v);
      if constexpr (!std::is_void_v<T>) offset = CacheRowOffset(kv, t);
    }
    __syncthreads();  // cos_v/sin_v written
    for (int which = 0; which < 2; ++which) {
      float* row = tensors.x[which] + t * tensors.stride[which];
      for (int64_t p = threadIdx.x; p < tensors.num_heads[which] * half; p += blockDim.x) {
        const int64_t h = p / half;
        const int64_t i = p % half;
        float* head = row + h * head_dim;
        const float lo = head[i];
        const float hi = head[i + half];
        head[i] = lo * cos_v[i] + (-hi) * sin_v[i];
        head[i + half] = hi * cos_v[i] + lo * sin_v[i];
      }
    }
    __syncthreads();  // k is rotated; cos_v/sin_v may be rewritten for the next token
    if constexpr (!std::is_void_v<T>) {
      const float* k_row = tensors.x[1] + t * tensors.stride[1];
      const float* v_row = kv.v + t * kv.v_stride;
      T* keys = static_cast<T*>(kv.keys) + offset;
      T* values = static_cast<T*>(kv.values) + offset;
      for (int i = threadIdx.x; i < kv.row_elements; i += blockDim.x) {
        StoreFloat(k_row[i], keys, i);
        StoreFloat(v_row[i], values, i);
      }
    }
  }
}

}  // namespace

void ApplyRope(float* x, int64_t x_stride, const int64_t* positions, int64_t num_tokens,
               int64_t num_heads, int64_t head_dim, int64_t rotary_dim, double theta,
               cudaStream_t stream) {
  ApplyRopeQk(x, x_stride, num_heads, nullptr, 0, 0, positions, num_tokens, head_dim, rotary_dim,
              theta, stream);
}

namespace {

// ApplyRopeQk, with T (non-void) also writing k and v as kv says.
template <typename T>
void LaunchRope(float* q, int64_t q_stride, int64_t q_heads, float* k, int64_t k_stride,
                int64_t k_heads, const int64_t* positions, int64_t num_tokens, int64_t head_dim,
                int64_t rotary_dim, double theta, const KvRows& kv, cudaStream_t stream) {
  HS_CHECK(rotary_dim % 2 == 0 && rotary_dim <= head_dim);
  HS_CHECK_MSG(rotary_dim / 2 <= kMaxRotaryHalf, "rotary_dim above 512 is not supported");
  HS_CHECK(num_tokens >= 0 && q_heads >= 0 && k_heads >= 0);
  HS_CHECK(q_stride >= q_heads * head_dim && k_stride >= k_heads * head_dim);
  HS_CHECK(k != nullptr || k_heads == 0);
  if (num_tokens <= 0 || q_heads + k_heads == 0 || rotary_dim == 0) return;
  const int64_t half = rotary_dim / 2;

  // The CPU op's expression, term for term (kernels/cpu/rope.cc).
  const float base = static_cast<float>(theta);
  InvFreq inv_freq{};
  for (int64_t i = 0; i < half; ++i) {
    const float exponent = static_cast<float>(2 * i) / static_cast<float>(rotary_dim);
    inv_freq.values[i] = 1.0f / std::pow(base, exponent);
  }

  const RopeTensors tensors{{q, k != nullptr ? k : q}, {q_stride, k_stride}, {q_heads, k_heads}};
  const unsigned blocks =
      static_cast<unsigned>(std::clamp<int64_t>(num_tokens, 1, int64_t{1} << 20));
  LaunchChained(ApplyRopeKernel<T>, dim3(blocks), dim3(kRopeThreads), 0, stream, tensors, positions,
                num_tokens, head_dim, half, inv_freq, kv);
  HS_CUDA_CHECK_LAUNCH();
}

}  // namespace

void ApplyRopeQk(float* q, int64_t q_stride, int64_t q_heads, float* k, int64_t k_stride,
                 int64_t k_heads, const int64_t* positions, int64_t num_tokens, int64_t head_dim,
                 int64_t rotary_dim, double theta, cudaStream_t stream) {
  LaunchRope<void>(q, q_stride, q_heads, k, k_stride, k_heads, positions, num_tokens, head_dim,
                   rotary_dim, theta, KvRows{}, stream);
}

void ApplyRopeQkWriteKv(float* q, int64_t q_stride, int64_t q_heads, float* k, int64_t k_stride,
                        const float* v, int64_t v_stride, const int64_t* positions,
                        int64_t rotary_dim, double theta, const BatchLayout& batch,
                        const PagedKvCache& kv, cudaStream_t stream) {
  HS_CHECK(kv.block_size > 0 && kv.num_kv_heads > 0 && kv.head_dim > 0);
  HS_CHECK(k != nullptr && v != nullptr && v_stride >= kv.num_kv_heads * kv.head_dim);
  if (batch.num_tokens == 0) return;
  if (rotary_dim == 0) {
    WriteKv(k, k_stride, v, v_stride, batch, kv, stream);
    return;
  }
  const KvRows rows{
      v, v_stride, batch, kv.keys, kv.values, kv.block_size, kv.num_kv_heads * kv.head_dim};
  DispatchStorage(kv.dtype, [&](auto tag) {
    LaunchRope<decltype(tag)>(q, q_stride, q_heads, k, k_stride, kv.num_kv_heads, positions,
                              batch.num_tokens, kv.head_dim, rotary_dim, theta, rows, stream);
  });
}

}  // namespace hybridserve::kernels::cuda
