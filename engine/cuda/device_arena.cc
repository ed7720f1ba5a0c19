#include "engine/cuda/device_arena.h"

#include <algorithm>

#include "kernels/cuda/cuda_check.h"

namespace hybridserve::engine {
namespace {
constexpr int64_t kAlign = 256;
int64_t RoundUp(int64_t bytes) { return (bytes + kAlign - 1) / kAlign * kAlign; }
}  // namespace

DeviceArena::~DeviceArena() {
  cudaStreamSynchronize(stream_);
  for (void* p : overflow_) cudaFree(p);
  if (base_ != nullptr) cudaFree(base_);
}

void DeviceArena::Reset() {
  if (!overflow_.empty() || high_water_ > capacity_) {
    HS_CUDA_CHECK(cudaStreamSynchronize(stream_));
    for (void* p : overflow_) HS_CUDA_CHECK(cudaFree(p));
    overflow_.clear();
    if (base_ != nullptr) HS_CUDA_CHECK(cudaFree(base_));
    capacity_ = RoundUp(high_water_ + high_water_ / 4);
    HS_CUDA_CHECK(cudaMalloc(&base_, static_cast<size_t>(capacity_)));
  }
  used_ = 0;
  live_ = 0;
  high_water_ = 0;
}

void* DeviceArena::AllocBytes(int64_t bytes) {
  bytes = RoundUp(std::max<int64_t>(bytes, 1));
  live_ += bytes;
  high_water_ = std::max(high_water_, live_);
  if (used_ + bytes <= capacity_) {
    void* p = base_ + used_;
    used_ += bytes;
    return p;
  }
  void* p = nullptr;
  HS_CUDA_CHECK(cudaMalloc(&p, static_cast<size_t>(bytes)));
  overflow_.push_back(p);
  return p;
}

}  // namespace hybridserve::engine
