// Helpers shared by the GPU op tests of this folder: storage-type copies of weights (rounded on
// the host exactly as the device buffer holds them, so the CPU reference sees the same values),
// strided packing, and an element-wise relative error for ops without cancellation.
#ifndef HYBRIDSERVE_TESTS_CUDA_KERNELS_OP_TEST_UTIL_H_
#define HYBRIDSERVE_TESTS_CUDA_KERNELS_OP_TEST_UTIL_H_

#include <cuda_fp16.h>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <vector>

#include "kernels/cuda/ops.h"
#include "tests/cuda/cuda_test_util.h"

namespace hybridserve::testing {

using kernels::cuda::DType;

inline const char* DTypeName(DType dtype) {
  switch (dtype) {
    case DType::kF32:
      return "f32";
    case DType::kBF16:
      return "bf16";
    case DType::kF16:
      return "f16";
  }
  return "?";
}

// Round to nearest even fp16 (the host half of cuda_fp16.h).
inline float RoundToF16(float v) { return __half2float(__float2half_rn(v)); }
inline uint16_t F16Bits(float v) {
  const __half_raw raw = __float2half_rn(v);
  return raw.x;
}

// A tensor in a storage type on the device, and the fp32 values it holds (for the CPU op).
struct StoredTensor {
  std::vector<float> values;    // exactly the stored values, widened
  DeviceBuffer<uint16_t> half;  // bf16/f16 storage
  DeviceBuffer<float> single;   // f32 storage
  DType dtype = DType::kF32;
  const void* get() const {
    return dtype == DType::kF32 ? static_cast<const void*>(single.get())
                                : static_cast<const void*>(half.get());
  }
};

inline StoredTensor Store(DType dtype, const std::vector<float>& source) {
  StoredTensor t;
  t.dtype = dtype;
  t.values = source;
  if (dtype == DType::kF32) {
    t.single = DeviceBuffer<float>(source);
    return t;
  }
  std::vector<uint16_t> bits(source.size());
  if (dtype == DType::kBF16) {
    bits = ToBf16Bits(source);
    for (float& v : t.values) v = RoundToBf16(v);
  } else {
    for (size_t i = 0; i < source.size(); ++i) bits[i] = F16Bits(source[i]);
    for (float& v : t.values) v = RoundToF16(v);
  }
  t.half = DeviceBuffer<uint16_t>(bits);
  return t;
}

// The dense [rows, cols] part of a strided buffer.
inline std::vector<float> Dense(const std::vector<float>& strided, int64_t rows, int64_t cols,
                                int64_t stride) {
  std::vector<float> out(static_cast<size_t>(rows * cols));
  for (int64_t r = 0; r < rows; ++r) {
    for (int64_t c = 0; c < cols; ++c) out[r * cols + c] = strided[r * stride + c];
  }
  return out;
}

// The columns [cols, stride) of every row: what an op on [rows, cols] must leave alone.
inline std::vector<float> Padding(const std::vector<float>& strided, int64_t rows, int64_t cols,
                                  int64_t stride) {
  std::vector<float> out;
  for (int64_t r = 0; r < rows; ++r) {
    for (int64_t c = cols; c < stride; ++c) out.push_back(strided[r * stride + c]);
  }
  return out;
}

// Bitwise equality (NaN poison compares equal to itself).
inline bool SameBits(const std::vector<float>& a, const std::vector<float>& b) {
  return a.size() == b.size() && (a.empty() || std::memcmp(a.data(), b.data(), a.size() * 4) == 0);
}

// max_i |got_i - want_i| / max(|want_i|, floor): for ops whose every output is computed without
// cancellation, so each element can be held to a relative bound. Non-finite got: +infinity.
inline double MaxElementRelError(const std::vector<float>& got, const std::vector<float>& want,
                                 double floor = 1e-30) {
  HS_CHECK(got.size() == want.size());
  double err = 0.0;
  for (size_t i = 0; i < want.size(); ++i) {
    if (!std::isfinite(got[i])) return INFINITY;
    const double scale = std::fmax(std::fabs(static_cast<double>(want[i])), floor);
    err = std::fmax(err, std::fabs(static_cast<double>(got[i]) - want[i]) / scale);
  }
  return err;
}

}  // namespace hybridserve::testing

#endif  // HYBRIDSERVE_TESTS_CUDA_KERNELS_OP_TEST_UTIL_H_
