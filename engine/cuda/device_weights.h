// A model's weights on the GPU. Every present tensor of the spec is uploaded once in the storage
// type (fp32, bf16 or fp16; GEMM weights and embeddings are read in it), and the small ones
// (norm scales, conv filters, dt biases, D, router biases: under kSmallElements) also in fp32,
// for the kernels that read fp32 parameters. Views of one stored tensor that coincide (tied
// embeddings) share one upload.
//
// Two sources: a loaded checkpoint (through the fp32 WeightStore), or seeded random values
// generated on the device (for benchmarks of model shapes we have no checkpoint of; the value
// ranges keep the forward finite, nothing more).
#ifndef HYBRIDSERVE_ENGINE_CUDA_DEVICE_WEIGHTS_H_
#define HYBRIDSERVE_ENGINE_CUDA_DEVICE_WEIGHTS_H_

#include <cuda_runtime.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "engine/model/host_weights.h"
#include "engine/model/model_spec.h"
#include "kernels/cuda/ops.h"

namespace hybridserve::engine {

class DeviceWeights {
 public:
  static constexpr int64_t kSmallElements = int64_t{1} << 22;

  static absl::StatusOr<std::unique_ptr<DeviceWeights>> Upload(const ModelSpec& spec,
                                                               const HostWeights& host,
                                                               kernels::cuda::DType storage);
  static absl::StatusOr<std::unique_ptr<DeviceWeights>> Random(const ModelSpec& spec,
                                                               kernels::cuda::DType storage,
                                                               uint64_t seed);
  ~DeviceWeights();
  DeviceWeights(const DeviceWeights&) = delete;
  DeviceWeights& operator=(const DeviceWeights&) = delete;

  kernels::cuda::DType dtype() const { return dtype_; }
  // The tensor in the storage type; nullptr for an absent ref.
  const void* Get(const TensorRef& ref) const;
  // The fp32 copy of a small tensor; nullptr for an absent ref. CHECK-fails for a large one.
  const float* GetF32(const TensorRef& ref) const;
  int64_t bytes() const { return bytes_; }

  // Multiplies rows [row_begin, row_end) of a tensor ([rows, cols] row-major; a vector is rows of
  // one) by factor, in every copy of it (storage type and fp32): folds a constant multiplier of
  // a product's output into its weights. The tensor must not be shared with another ref.
  void ScaleRows(const TensorRef& ref, int64_t row_begin, int64_t row_end, float factor);

 private:
  struct Entry {
    void* storage = nullptr;
    float* f32 = nullptr;
  };
  explicit DeviceWeights(kernels::cuda::DType dtype) : dtype_(dtype) {}
  absl::StatusOr<void*> Allocate(int64_t bytes);
  const Entry& Find(const TensorRef& ref) const;

  kernels::cuda::DType dtype_;
  absl::flat_hash_map<std::string, Entry> by_ref_;  // RefKey -> entry
  std::vector<void*> allocations_;
  int64_t bytes_ = 0;
};

// Fills n elements of dtype at out with uniform values in [lo, hi) from a counter-based hash of
// (seed, index): the same values for the same seed whatever the launch shape.
void FillUniform(kernels::cuda::DType dtype, void* out, int64_t n, float lo, float hi,
                 uint64_t seed, cudaStream_t stream);

}  // namespace hybridserve::engine

#endif  // HYBRIDSERVE_ENGINE_CUDA_DEVICE_WEIGHTS_H_
