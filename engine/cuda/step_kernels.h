// Small glue kernels of the CUDA model that have no CPU op twin (the CPU blocks do these in
// plain loops).
#ifndef HYBRIDSERVE_ENGINE_CUDA_STEP_KERNELS_H_
#define HYBRIDSERVE_ENGINE_CUDA_STEP_KERNELS_H_

#include <cuda_runtime.h>

#include <cstdint>
#include <vector>

#include "kernels/cuda/ops.h"

namespace hybridserve::engine {

// data[i] *= factor for i in [begin, end), data in dtype (rounded back to it).
void ScaleElements(kernels::cuda::DType dtype, void* data, int64_t begin, int64_t end, float factor,
                   cudaStream_t stream);

// out[i] = -exp(in[i]) (A from A_log), n elements.
void NegExp(const float* in, int64_t n, float* out, cudaStream_t stream);

// out[i] = buffers[0][i] + buffers[1][i] + ... in that order, n elements; every buffer on the
// current device (the single-GPU all-reduce).
void SumBuffers(const std::vector<const float*>& buffers, int64_t n, float* out,
                cudaStream_t stream);

}  // namespace hybridserve::engine

#endif  // HYBRIDSERVE_ENGINE_CUDA_STEP_KERNELS_H_
