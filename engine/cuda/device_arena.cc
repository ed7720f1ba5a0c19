#include "engine/cuda/device_arena.h"

#include <algorithm>

#include "kernels/cuda/cuda_check.h"

namespace hybridserve::engine {
namespace {
constexpr int64_t kAlign = 256;
int64_t RoundUp(int64_t bytes) { return (bytes + kAlign - 1) / kAlign * kAlign; }
}  // namespace

DeviceArena::~DeviceArena() {
  for (const Overflow& o : overflow_) cudaFreeAsync(o.data, stream_);
  cudaStreamSynchronize(stream_);
  if (base_ != nullptr) cudaFree(base_);
}

void DeviceArena::Release(const Mark& m) {
  used_ = m.used;
  live_ = m.live;
  // Overflow buffers handed out since the mark go back in stream order: work already enqueued
  // still reads them, later allocations of the pool are ordered after it.
  while (!overflow_.empty() && overflow_.back().live_before >= m.live) {
    HS_CUDA_CHECK(cudaFreeAsync(overflow_.back().data, stream_));
    overflow_.pop_back();
  }
}

void DeviceArena::Reset() {
  for (const Overflow& o : overflow_) HS_CUDA_CHECK(cudaFreeAsync(o.data, stream_));
  overflow_.clear();
  if (high_water_ > capacity_) {
    HS_CUDA_CHECK(cudaStreamSynchronize(stream_));
    if (base_ != nullptr) HS_CUDA_CHECK(cudaFree(base_));
    capacity_ = RoundUp(high_water_ + high_water_ / 4);
    HS_CUDA_CHECK(cudaMalloc(&base_, static_cast<size_t>(capacity_)));
    ++generation_;
  }
  used_ = 0;
  live_ = 0;
  high_water_ = 0;
}

void* DeviceArena::AllocBytes(int64_t bytes) {
  bytes = RoundUp(std::max<int64_t>(bytes, 1));
  const int64_t live_before = live_;
  live_ += bytes;
  high_water_ = std::max(high_water_, live_);
  if (used_ + bytes <= capacity_) {
    void* p = base_ + used_;
    used_ += bytes;
    return p;
  }
  void* p = nullptr;
  HS_CUDA_CHECK(cudaMallocAsync(&p, static_cast<size_t>(bytes), alloc_stream_));
  overflow_.push_back({p, live_before});
  return p;
}

}  // namespace hybridserve::engine
