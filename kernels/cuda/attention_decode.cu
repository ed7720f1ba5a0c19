// Why: a decode step's attention reads the whole K/V history of every sequence for one query row
// each, so it is bound by streaming the cache. The narrow tile of attention.cu stages every 64
// keys in shared memory as fp32 and walks them through four barriers, one CTA of 64 keys a few
// microseconds long; with the keys split 128 ways at batch 1 that chain, not HBM, sets the time.
//
// How: CTA (sequence, kv head and group of up to kG of its query heads, key partition), four
// warps. A key's head_dim values lie across kLanes = head_dim / 8 lanes, 16 bytes (8 bf16/fp16
// values) each, so a warp holds 32 / kLanes keys at once and the CTA kGroups key groups. Each lane
// keeps its 8 query values of every head of the group in registers. A chunk is kU rounds of
// kGroups keys, loaded straight into registers; two chunks are in flight (the next one's loads are
// issued before the current one is used). A lane multiplies its 8 values, the key's lanes add their
// parts with shuffles, and each key group runs its own online softmax (running max, sum and 8
// output values per head) over its keys. At the end the groups' states are combined in shared
// memory, and the CTA writes the normalized output, or with a split its partition's unnormalized
// output with its max and sum for attention.cu's merge. fp32 arithmetic on the stored values with
// explicit fmaf (the library is built with --fmad=false). Keys past the partition or the row's
// position are never loaded. Chained launch: the first two chunks' keys cached before this step
// load before waiting for the kernel before (which writes this step's key); q and the step's own
// key after. Every path waits.
#include <cuda_bf16.h>
#include <cuda_fp16.h>

#include <algorithm>
#include <cmath>
#include <cstdint>

#include "base/check.h"
#include "kernels/cuda/attention_decode.h"
#include "kernels/cuda/attention_splits.h"
#include "kernels/cuda/attention_tiles.cuh"
#include "kernels/cuda/cuda_check.h"
#include "kernels/cuda/launch.cuh"
#include "kernels/cuda/storage_type.cuh"

namespace hybridserve::kernels::cuda {

namespace {

constexpr int kThreads = 128;
constexpr int kWarps = kThreads / 32;
constexpr int kMaxGroup = 8;    // query heads of one kv head in a CTA
int32_t g_min_split_keys = 64;  // SetDecodeAttentionMinSplitKeys

// Keys of one chunk (kU rounds of kGroups keys; two chunks are in flight): 32, and 16 where eight
// heads of 128 values leave fewer registers for loads.
constexpr int ChunkKeys(int head_dim, int group) { return group >= 8 && head_dim >= 128 ? 16 : 32; }

struct DecodeParams : PagedArgs {
  int32_t num_head_groups;  // ceil(G / kG)
  int32_t num_splits;       // 1: write out directly
  int32_t split_keys;
  float* partial_out;      // [num_splits, T, nq, hd] (num_splits > 1)
  float* partial_max_sum;  // [num_splits, T, nq, 2]
};

template <typename T, int kHd, int kG>
__global__ void __launch_bounds__(kThreads) DecodeAttentionKernel(const DecodeParams p) {
  constexpr int kLanes = kHd / 8;  // lanes of one key
  constexpr int kKeysPerWarp = 32 / kLanes;
  constexpr int kGroups = kWarps * kKeysPerWarp;  // keys in flight per round
  constexpr int kChunkKeys = ChunkKeys(kHd, kG);
  constexpr int kU = kChunkKeys / kGroups;  // rounds of a chunk
  static_assert(kHd % 8 == 0 && 32 % kLanes == 0 && kChunkKeys % kGroups == 0, "layout");
  static_assert(kGroups * kG <= kThreads, "one group weight a thread");

  __shared__ float s_max[kGroups][kG];
  __shared__ float s_sum[kGroups][kG];
  __shared__ float4 s_acc[kGroups][kG][kHd / 4];
  __shared__ float s_weight[kGroups][kG];
  __shared__ float s_head_max[kG];

  // The merge and the output projection after it may start now: both wait for this kernel before
  // reading what it writes, and the projection meanwhile loads its weights.
  AllowDependentGrids();
  const int lane = threadIdx.x % 32, warp = threadIdx.x / 32;
  const int part = lane % kLanes;  // values part * 8 .. part * 8 + 7 of each head
  const int group = warp * kKeysPerWarp + lane / kLanes;
  const int seq = blockIdx.x;
  const int row = p.seq_row_begin[seq];
  const bool has_row = p.seq_row_begin[seq + 1] > row;
  const int kv_head = blockIdx.y / p.num_head_groups;
  const int g0 = (blockIdx.y % p.num_head_groups) * kG;
  const int num_g = min(kG, p.heads_per_kv - g0);
  const int head0 = kv_head * p.heads_per_kv + g0;
  const int pos = p.seq_start_pos[seq];  // the row's position: keys before it are cached
  const int key_begin = blockIdx.z * p.split_keys;
  const int key_end = min(key_begin + p.split_keys, pos + 1);

  const T* keys = static_cast<const T*>(p.keys);
  const T* values = static_cast<const T*>(p.values);
  const int32_t* block_table = p.block_tables + static_cast<int64_t>(seq) * p.max_blocks;
  const int64_t row_elements = static_cast<int64_t>(p.num_kv_heads) * kHd;
  const int64_t column = static_cast<int64_t>(kv_head) * kHd + part * 8;

  // Loads the chunk's keys in [lo, hi) into (kr, vr); zeros past key_end (the products then stay
  // finite), the other registers as they were.
  auto load = [&](uint4(&kr)[kU], uint4(&vr)[kU], int chunk_begin, int lo, int hi) {
#pragma unroll
    for (int u = 0; u < kU; ++u) {
      const int key = chunk_begin + u * kGroups + group;
      if (key >= key_end) {
        kr[u] = make_uint4(0, 0, 0, 0);
        vr[u] = make_uint4(0, 0, 0, 0);
      } else if (key >= lo && key < hi) {
        const int64_t offset =
            KeyCacheRow(key, block_table, p.block_size, p.block_shift) * row_elements + column;
        kr[u] = __ldg(reinterpret_cast<const uint4*>(keys + offset));
        vr[u] = __ldg(reinterpret_cast<const uint4*>(values + offset));
      }
    }
  };
  // Two chunks in flight: even chunks in buffer a, odd ones in b. The first two chunks' keys
  // cached before this step load before the wait, the step's own key (pos) after it.
  uint4 k_a[kU], v_a[kU], k_b[kU], v_b[kU];
  const bool active = has_row && key_begin <= pos;
  if (active) {
    load(k_a, v_a, key_begin, key_begin, min(key_end, pos));
    load(k_b, v_b, key_begin + kChunkKeys, key_begin, min(key_end, pos));
  }
  WaitForPriorGrid();
  if (!active) return;  // an empty partition: the merge skips it
  load(k_a, v_a, key_begin, pos, pos + 1);
  load(k_b, v_b, key_begin + kChunkKeys, pos, pos + 1);

  float q[kG][8];
#pragma unroll
  for (int g = 0; g < kG; ++g) {
    const float* src = p.q + row * p.q_stride + static_cast<int64_t>(head0 + g) * kHd + part * 8;
#pragma unroll
    for (int i = 0; i < 8; ++i) q[g][i] = g < num_g ? src[i] : 0.0f;
  }

  float run_max[kG], run_sum[kG], acc[kG][8];
#pragma unroll
  for (int g = 0; g < kG; ++g) {
    run_max[g] = -INFINITY;
    run_sum[g] = 0.0f;
#pragma unroll
    for (int i = 0; i < 8; ++i) acc[g][i] = 0.0f;
  }

  // One chunk into the group's online softmax.
  auto process = [&](const uint4(&kr)[kU], const uint4(&vr)[kU], int chunk_begin) {
    // Scores: this lane's part of each dot product, then the key's lanes summed.
    float s[kU][kG];
#pragma unroll
    for (int u = 0; u < kU; ++u) {
      float k[8];
      Unpack8(kr[u], k, keys);
#pragma unroll
      for (int g = 0; g < kG; ++g) {
        float d = 0.0f;
#pragma unroll
        for (int i = 0; i < 8; ++i) d = fmaf(q[g][i], k[i], d);
        s[u][g] = d;
      }
    }
#pragma unroll
    for (int u = 0; u < kU; ++u) {
      const bool valid = chunk_begin + u * kGroups + group < key_end;
#pragma unroll
      for (int g = 0; g < kG; ++g) {
        float d = s[u][g];
#pragma unroll
        for (int offset = kLanes / 2; offset > 0; offset >>= 1) {
          d += __shfl_xor_sync(0xffffffffu, d, offset);
        }
        s[u][g] = valid ? d * p.scale : -INFINITY;
      }
    }
    // Online softmax per head over the group's keys of this chunk; s becomes the weights. Every
    // lane of a key holds every score, so the kU x kG exponentials are spread over the key's lanes
    // (item j = u * kG + g on lane j % kLanes) and passed round by shuffles.
    float new_max[kG];
#pragma unroll
    for (int g = 0; g < kG; ++g) {
      float chunk_max = s[0][g];
#pragma unroll
      for (int u = 1; u < kU; ++u) chunk_max = fmaxf(chunk_max, s[u][g]);
      new_max[g] = fmaxf(run_max[g], chunk_max);
      // run_max = -inf: nothing accumulated yet (and new_max may still be -inf).
      const float alpha = run_max[g] == -INFINITY ? 0.0f : expf(run_max[g] - new_max[g]);
      run_max[g] = new_max[g];
      run_sum[g] *= alpha;
#pragma unroll
      for (int i = 0; i < 8; ++i) acc[g][i] *= alpha;
    }
    constexpr int kItems = kU * kG;
    constexpr int kPerLane = (kItems + kLanes - 1) / kLanes;
    float mine[kPerLane];
#pragma unroll
    for (int r = 0; r < kPerLane; ++r) {
      float x = -INFINITY, m = 0.0f;
#pragma unroll
      for (int j = r * kLanes; j < kItems && j < (r + 1) * kLanes; ++j) {
        if (j - r * kLanes == part) {
          x = s[j / kG][j % kG];
          m = new_max[j % kG];
        }
      }
      mine[r] = x == -INFINITY ? 0.0f : expf(x - m);
    }
    const int key_lane0 = lane - part;
#pragma unroll
    for (int j = 0; j < kItems; ++j) {
      s[j / kG][j % kG] = __shfl_sync(0xffffffffu, mine[j / kLanes], key_lane0 + j % kLanes);
    }
#pragma unroll
    for (int g = 0; g < kG; ++g) {
      float sum = 0.0f;
#pragma unroll
      for (int u = 0; u < kU; ++u) sum += s[u][g];
      run_sum[g] += sum;
    }
#pragma unroll
    for (int u = 0; u < kU; ++u) {
      float v[8];
      Unpack8(vr[u], v, values);
#pragma unroll
      for (int g = 0; g < kG; ++g) {
#pragma unroll
        for (int i = 0; i < 8; ++i) acc[g][i] = fmaf(s[u][g], v[i], acc[g][i]);
      }
    }
  };

  // While one buffer is used, the other's loads are in flight.
  for (int c = key_begin; c < key_end; c += 2 * kChunkKeys) {
    process(k_a, v_a, c);
    if (c + 2 * kChunkKeys < key_end) load(k_a, v_a, c + 2 * kChunkKeys, 0, key_end);
    if (c + kChunkKeys >= key_end) break;
    process(k_b, v_b, c + kChunkKeys);
    if (c + 3 * kChunkKeys < key_end) load(k_b, v_b, c + 3 * kChunkKeys, 0, key_end);
  }

  // The key groups' states combined: out = sum_r e^(max_r - M) acc_r / sum_r e^(max_r - M) sum_r.
#pragma unroll
  for (int g = 0; g < kG; ++g) {
    s_acc[group][g][2 * part] = make_float4(acc[g][0], acc[g][1], acc[g][2], acc[g][3]);
    s_acc[group][g][2 * part + 1] = make_float4(acc[g][4], acc[g][5], acc[g][6], acc[g][7]);
    if (part == 0) {
      s_max[group][g] = run_max[g];
      s_sum[group][g] = run_sum[g];
    }
  }
  __syncthreads();
  // The groups' weights e^(max_r - M), one exponential a thread, then the weighted sums.
  if (threadIdx.x < kGroups * kG) {
    const int r = threadIdx.x / kG, g = threadIdx.x % kG;
    float m = -INFINITY;
#pragma unroll
    for (int i = 0; i < kGroups; ++i) m = fmaxf(m, s_max[i][g]);
    s_weight[r][g] = s_max[r][g] == -INFINITY ? 0.0f : expf(s_max[r][g] - m);
    if (r == 0) s_head_max[g] = m;
  }
  __syncthreads();
  constexpr int kQuads = kHd / 4;
  for (int idx = threadIdx.x; idx < num_g * kQuads; idx += kThreads) {
    const int g = idx / kQuads, quad = idx % kQuads;
    const float m = s_head_max[g];
    float sum = 0.0f;
    float4 o = make_float4(0.0f, 0.0f, 0.0f, 0.0f);
#pragma unroll
    for (int r = 0; r < kGroups; ++r) {
      const float w = s_weight[r][g];
      sum = fmaf(w, s_sum[r][g], sum);
      const float4 a = s_acc[r][g][quad];
      o.x = fmaf(w, a.x, o.x);
      o.y = fmaf(w, a.y, o.y);
      o.z = fmaf(w, a.z, o.z);
      o.w = fmaf(w, a.w, o.w);
    }
    const int head = head0 + g;
    if (p.num_splits == 1) {
      float* dst = p.out + row * p.out_stride + static_cast<int64_t>(head) * kHd + 4 * quad;
      dst[0] = o.x / sum;
      dst[1] = o.y / sum;
      dst[2] = o.z / sum;
      dst[3] = o.w / sum;
    } else {
      const int64_t slot =
          (static_cast<int64_t>(blockIdx.z) * p.num_tokens + row) * p.num_heads + head;
      reinterpret_cast<float4*>(p.partial_out + slot * kHd)[quad] = o;
      if (quad == 0) reinterpret_cast<float2*>(p.partial_max_sum)[slot] = make_float2(m, sum);
    }
  }
}

// The query heads of a CTA: the group size rounded up to a power of two, at most kMaxGroup.
int GroupFor(int heads_per_kv) {
  int g = 1;
  while (g < heads_per_kv && g < kMaxGroup) g *= 2;
  return g;
}

template <typename T, int kHd, int kG>
KeySplits Launch(DecodeParams p, const BatchLayout& batch, void* scratch, cudaStream_t stream) {
  p.num_head_groups = (p.heads_per_kv + kG - 1) / kG;
  const int64_t ctas = static_cast<int64_t>(batch.num_seqs) * p.num_kv_heads * p.num_head_groups;
  KeySplits plan;
  constexpr int kChunkKeys = ChunkKeys(kHd, kG);
  if (scratch != nullptr) {
    plan = PlanKeySplits(ctas, batch, kChunkKeys, std::max(g_min_split_keys, kChunkKeys));
  }
  p.num_splits = plan.num_splits;
  p.split_keys = plan.split_keys;
  if (plan.num_splits > 1) {
    const PartialOutputs partial =
        PartialOutputsIn(scratch, plan.num_splits, batch.num_tokens, p.num_heads, kHd);
    p.partial_out = partial.out;
    p.partial_max_sum = partial.max_sum;
  }
  const dim3 grid(static_cast<unsigned>(batch.num_seqs),
                  static_cast<unsigned>(p.num_kv_heads * p.num_head_groups),
                  static_cast<unsigned>(plan.num_splits));
  LaunchChained(DecodeAttentionKernel<T, kHd, kG>, grid, dim3(kThreads), 0, stream, p);
  HS_CUDA_CHECK_LAUNCH();
  return plan;
}

template <typename T, int kHd>
KeySplits LaunchForHeadDim(const DecodeParams& p, const BatchLayout& batch, void* scratch,
                           cudaStream_t stream) {
  switch (GroupFor(p.heads_per_kv)) {
    case 1:
      return Launch<T, kHd, 1>(p, batch, scratch, stream);
    case 2:
      return Launch<T, kHd, 2>(p, batch, scratch, stream);
    case 4:
      return Launch<T, kHd, 4>(p, batch, scratch, stream);
    default:
      return Launch<T, kHd, 8>(p, batch, scratch, stream);
  }
}

template <typename T>
KeySplits LaunchForType(const DecodeParams& p, const BatchLayout& batch, int head_dim,
                        void* scratch, cudaStream_t stream) {
  return head_dim == 64 ? LaunchForHeadDim<T, 64>(p, batch, scratch, stream)
                        : LaunchForHeadDim<T, 128>(p, batch, scratch, stream);
}

}  // namespace

bool UseAttentionDecode(const PagedKvCache& kv, const BatchLayout& batch) {
  return (kv.dtype == DType::kBF16 || kv.dtype == DType::kF16) &&
         (kv.head_dim == 64 || kv.head_dim == 128) && batch.max_seq_tokens <= 1;
}

void SetDecodeAttentionMinSplitKeys(int32_t keys) {
  HS_CHECK(keys > 0);
  g_min_split_keys = keys;
}

KeySplits PagedAttentionDecode(const float* q, int64_t q_stride, int32_t num_heads, float scale,
                               const BatchLayout& batch, const PagedKvCache& kv, float* out,
                               int64_t out_stride, void* scratch, cudaStream_t stream) {
  HS_CHECK(UseAttentionDecode(kv, batch));
  const DecodeParams p{PagedArgsFor(q, q_stride, num_heads, scale, batch, kv, out, out_stride)};
  return kv.dtype == DType::kBF16
             ? LaunchForType<__nv_bfloat16>(p, batch, kv.head_dim, scratch, stream)
             : LaunchForType<__half>(p, batch, kv.head_dim, scratch, stream);
}

}  // namespace hybridserve::kernels::cuda
