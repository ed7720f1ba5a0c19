// Whether chained launches (launch.cuh) apply on the current device: compute capability 9.0 or
// later, asked once per device.
#include <cuda_runtime.h>

#include <array>
#include <atomic>
#include <cstdint>

#include "kernels/cuda/launch.cuh"

namespace hybridserve::kernels::cuda {

bool ChainedLaunchSupported() {
  constexpr int kDevices = 64;
  static std::array<std::atomic<int8_t>, kDevices> known{};  // 0 unknown, 1 yes, -1 no
  int device = 0;
  if (cudaGetDevice(&device) != cudaSuccess || device < 0) return false;
  if (device >= kDevices) return false;
  const int8_t cached = known[device].load(std::memory_order_relaxed);
  if (cached != 0) return cached > 0;
  int major = 0;
  const bool supported =
      cudaDeviceGetAttribute(&major, cudaDevAttrComputeCapabilityMajor, device) == cudaSuccess &&
      major >= 9;
  known[device].store(supported ? 1 : -1, std::memory_order_relaxed);
  return supported;
}

}  // namespace hybridserve::kernels::cuda
