// Scratch memory for one forward step on the GPU: a bump allocator over one device buffer.
// Reset() at the start of a step makes the whole buffer reusable; Mark()/Release() free what was
// allocated since the mark (a layer's temporaries, once the layer's work is enqueued: the stream
// orders the next user after the last reader). When a step needs more than the buffer holds,
// Alloc() adds an overflow buffer (stream-ordered, cudaMallocAsync); the next Reset() replaces the
// base buffer by one of the high-water size, so a steady workload allocates only in its first
// steps.
#ifndef HYBRIDSERVE_ENGINE_CUDA_DEVICE_ARENA_H_
#define HYBRIDSERVE_ENGINE_CUDA_DEVICE_ARENA_H_

#include <cuda_runtime.h>

#include <cstdint>
#include <vector>

namespace hybridserve::engine {

class DeviceArena {
 public:
  explicit DeviceArena(cudaStream_t stream) : stream_(stream), alloc_stream_(stream) {}
  ~DeviceArena();
  DeviceArena(const DeviceArena&) = delete;
  DeviceArena& operator=(const DeviceArena&) = delete;

  // Starts a step: everything handed out before is free again. Synchronizes the stream only when
  // the previous step overflowed.
  void Reset();

  // n elements of T, 256-byte aligned, uninitialized.
  template <typename T>
  T* Alloc(int64_t n) {
    return static_cast<T*>(AllocBytes(n * static_cast<int64_t>(sizeof(T))));
  }
  void* AllocBytes(int64_t bytes);
  // The stream overflow buffers are allocated on (ordered before that stream's later work):
  // while another stream enqueues the work that uses the allocations (a parallel branch),
  // allocate on it. Buffers are still freed on the arena's own stream, which must be ordered
  // after that work (joined) by then. Returns the previous one.
  cudaStream_t set_alloc_stream(cudaStream_t stream) {
    const cudaStream_t previous = alloc_stream_;
    alloc_stream_ = stream;
    return previous;
  }

  struct Mark {
    int64_t used;
    int64_t live;
  };
  Mark mark() const { return {used_, live_}; }
  // Frees everything allocated since m.
  void Release(const Mark& m);

  int64_t capacity_bytes() const { return capacity_; }
  // Changes whenever the base buffer moves (a captured CUDA graph that used it is then stale).
  int64_t generation() const { return generation_; }
  // The most bytes live at once since Reset(), and whether any came from overflow buffers.
  int64_t high_water_bytes() const { return high_water_; }
  bool overflowed() const { return !overflow_.empty(); }

 private:
  cudaStream_t stream_;
  cudaStream_t alloc_stream_;
  char* base_ = nullptr;
  int64_t capacity_ = 0;
  int64_t used_ = 0;
  int64_t live_ = 0;        // bytes handed out and not released, overflow included
  int64_t high_water_ = 0;  // max of live_ since Reset()
  int64_t generation_ = 0;
  struct Overflow {
    void* data;
    int64_t live_before;  // live_ when it was handed out
  };
  std::vector<Overflow> overflow_;  // stream-ordered allocations past the base buffer
};

}  // namespace hybridserve::engine

#endif  // HYBRIDSERVE_ENGINE_CUDA_DEVICE_ARENA_H_
