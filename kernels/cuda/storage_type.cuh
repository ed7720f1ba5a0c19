// Internal to kernels/cuda: the C++ types behind DType and the one place that turns a DType into
// a template argument. Weights, biases and embedding tables are read through LoadFloat, so every
// op that reads the storage type is one template instantiated for float, bf16 and fp16.
#ifndef HYBRIDSERVE_KERNELS_CUDA_STORAGE_TYPE_CUH_
#define HYBRIDSERVE_KERNELS_CUDA_STORAGE_TYPE_CUH_

#include <cuda_bf16.h>
#include <cuda_fp16.h>

#include <cstdint>

#include "base/check.h"
#include "kernels/cuda/ops.h"

namespace hybridserve::kernels::cuda {

__device__ __forceinline__ float LoadFloat(const float* p, int64_t i) { return p[i]; }
__device__ __forceinline__ float LoadFloat(const __nv_bfloat16* p, int64_t i) {
  return __bfloat162float(p[i]);
}
__device__ __forceinline__ float LoadFloat(const __half* p, int64_t i) {
  return __half2float(p[i]);
}

// Round to nearest even, as torch's .to(dtype) does.
__device__ __forceinline__ void StoreFloat(float v, float* p, int64_t i) { p[i] = v; }
__device__ __forceinline__ void StoreFloat(float v, __nv_bfloat16* p, int64_t i) {
  p[i] = __float2bfloat16_rn(v);
}
__device__ __forceinline__ void StoreFloat(float v, __half* p, int64_t i) {
  p[i] = __float2half_rn(v);
}

// Four consecutive values stored at once (p aligned to four elements), each rounded as StoreFloat.
template <typename T>
__device__ __forceinline__ void StoreFour(const float (&v)[4], T* p) {
  struct alignas(4 * sizeof(T)) Four {
    T at[4];
  } four;
#pragma unroll
  for (int i = 0; i < 4; ++i) StoreFloat(v[i], four.at, i);
  *reinterpret_cast<Four*>(p) = four;
}

// The 8 values of a 16-byte chunk of bf16 or fp16 (one vector load) as floats; the pointer
// argument only picks the type.
__device__ __forceinline__ void Unpack8(const uint4& raw, float (&out)[8], const __nv_bfloat16*) {
  const __nv_bfloat16* h = reinterpret_cast<const __nv_bfloat16*>(&raw);
#pragma unroll
  for (int i = 0; i < 8; ++i) out[i] = __bfloat162float(h[i]);
}
__device__ __forceinline__ void Unpack8(const uint4& raw, float (&out)[8], const __half*) {
  const __half* h = reinterpret_cast<const __half*>(&raw);
#pragma unroll
  for (int i = 0; i < 8; ++i) out[i] = __half2float(h[i]);
}

// Whether rows of T at p with row stride `stride` (elements) are all aligned to four elements.
template <typename T>
inline bool RowsAlignedToFour(const T* p, int64_t stride) {
  return reinterpret_cast<uintptr_t>(p) % (4 * sizeof(T)) == 0 && stride % 4 == 0;
}

// Calls fn(T{}) with T the C++ type of dtype; fn uses decltype of its argument as the type.
template <typename Fn>
void DispatchStorage(DType dtype, Fn&& fn) {
  switch (dtype) {
    case DType::kF32:
      fn(float{});
      return;
    case DType::kBF16:
      fn(__nv_bfloat16{});
      return;
    case DType::kF16:
      fn(__half{});
      return;
  }
  HS_CHECK_MSG(false, "unknown dtype");
}

}  // namespace hybridserve::kernels::cuda

#endif  // HYBRIDSERVE_KERNELS_CUDA_STORAGE_TYPE_CUH_
