// Helpers for the GPU suite: device buffers that poison themselves (so unwritten outputs fail),
// uploads/downloads, seeded random inputs and the error measures the op tests assert on.
#ifndef HYBRIDSERVE_TESTS_CUDA_CUDA_TEST_UTIL_H_
#define HYBRIDSERVE_TESTS_CUDA_CUDA_TEST_UTIL_H_

#include <cuda_runtime.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <random>
#include <vector>

#include "kernels/cuda/cuda_check.h"

namespace hybridserve::testing {

// A device array of n elements of T. Poison() fills every byte with 0xFF (a NaN for floats, -1
// for ints), so an element an op forgets to write shows up as NaN in the comparison.
template <typename T>
class DeviceBuffer {
 public:
  DeviceBuffer() = default;
  explicit DeviceBuffer(size_t n) : n_(n) {
    if (n_ > 0) HS_CUDA_CHECK(cudaMalloc(&data_, n_ * sizeof(T)));
    Poison();
  }
  explicit DeviceBuffer(const std::vector<T>& host) : DeviceBuffer(host.size()) { Upload(host); }
  ~DeviceBuffer() {
    if (data_ != nullptr) cudaFree(data_);
  }
  DeviceBuffer(DeviceBuffer&& other) noexcept : data_(other.data_), n_(other.n_) {
    other.data_ = nullptr;
    other.n_ = 0;
  }
  DeviceBuffer& operator=(DeviceBuffer&& other) noexcept {
    std::swap(data_, other.data_);
    std::swap(n_, other.n_);
    return *this;
  }

  T* get() const { return data_; }
  size_t size() const { return n_; }
  void Poison() {
    if (n_ > 0) HS_CUDA_CHECK(cudaMemset(data_, 0xFF, n_ * sizeof(T)));
  }
  void Upload(const std::vector<T>& host) {
    HS_CHECK(host.size() == n_);
    if (n_ > 0) HS_CUDA_CHECK(cudaMemcpy(data_, host.data(), n_ * sizeof(T), cudaMemcpyDefault));
  }
  std::vector<T> Download() const {
    HS_CUDA_CHECK(cudaDeviceSynchronize());
    std::vector<T> host(n_);
    if (n_ > 0) HS_CUDA_CHECK(cudaMemcpy(host.data(), data_, n_ * sizeof(T), cudaMemcpyDefault));
    return host;
  }

 private:
  T* data_ = nullptr;
  size_t n_ = 0;
};

inline std::vector<float> RandomFloats(size_t n, uint32_t seed, float lo = -1.0f, float hi = 1.0f) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> dist(lo, hi);
  std::vector<float> out(n);
  for (float& v : out) v = dist(rng);
  return out;
}

// Rounds fp32 values to bf16 (round to nearest even) and back, so the CPU reference sees exactly
// the values a bf16 buffer holds.
inline float RoundToBf16(float v) {
  uint32_t bits;
  std::memcpy(&bits, &v, 4);
  bits += 0x7FFF + ((bits >> 16) & 1);
  bits &= 0xFFFF0000u;
  std::memcpy(&v, &bits, 4);
  return v;
}
inline std::vector<uint16_t> ToBf16Bits(const std::vector<float>& values) {
  std::vector<uint16_t> out(values.size());
  for (size_t i = 0; i < values.size(); ++i) {
    uint32_t bits;
    const float r = RoundToBf16(values[i]);
    std::memcpy(&bits, &r, 4);
    out[i] = static_cast<uint16_t>(bits >> 16);
  }
  return out;
}

// max_i |got_i - want_i| / max(max_i |want_i|, tiny): the error relative to the output's scale.
// Any NaN/Inf in got (an unwritten, poisoned element) gives +infinity.
inline double MaxRelError(const std::vector<float>& got, const std::vector<float>& want) {
  HS_CHECK(got.size() == want.size());
  double scale = 1e-30, err = 0.0;
  for (size_t i = 0; i < want.size(); ++i) scale = std::max(scale, std::fabs((double)want[i]));
  for (size_t i = 0; i < want.size(); ++i) {
    if (!std::isfinite(got[i])) return INFINITY;
    err = std::max(err, std::fabs((double)got[i] - (double)want[i]));
  }
  return err / scale;
}

}  // namespace hybridserve::testing

#endif  // HYBRIDSERVE_TESTS_CUDA_CUDA_TEST_UTIL_H_
