// What every block of one forward step on the GPU needs: the weights, caches, cuBLAS, the step's
// scratch arena and stream, and the batch layout (device arrays, with host copies of what the
// host-side loops need). Built by CudaModel::Forward; the blocks (cuda_blocks.h) read it.
#ifndef HYBRIDSERVE_ENGINE_CUDA_CUDA_STEP_H_
#define HYBRIDSERVE_ENGINE_CUDA_CUDA_STEP_H_

#include <cuda_runtime.h>

#include <cstdint>
#include <map>
#include <tuple>
#include <vector>

#include "engine/cuda/communicator.h"
#include "engine/cuda/cuda_cache.h"
#include "engine/cuda/device_arena.h"
#include "engine/cuda/device_weights.h"
#include "engine/model/model_spec.h"
#include "kernels/cuda/blas.h"
#include "kernels/cuda/ops.h"

namespace hybridserve::engine {

struct CudaStep {
  const DeviceWeights* weights = nullptr;
  CudaCache* cache = nullptr;
  kernels::cuda::Blas* blas = nullptr;
  DeviceArena* arena = nullptr;
  cudaStream_t stream = nullptr;
  // Tensor parallelism: the shards' all-reduce (null for a whole model). The blocks' outputs are
  // partial sums on a shard (cuda_blocks.h).
  Communicator* comm = nullptr;
  void AllReduce(float* data, int64_t n) const {
    if (comm != nullptr) comm->AllReduceSum(data, n, stream);
  }

  int64_t num_tokens = 0;               // T
  kernels::cuda::BatchLayout batch;     // device arrays
  const int64_t* positions = nullptr;   // [T] device
  const int32_t* token_slot = nullptr;  // [T] device: the SSM slot of each row

  // Host copies.
  std::vector<int32_t> row_begin;  // [S + 1]
  std::vector<int32_t> slots;      // [S]
  std::vector<bool> decode;        // [S]
  int32_t rows(size_t seq) const { return row_begin[seq + 1] - row_begin[seq]; }

  // Rounded copies: an fp32 activation that the kernel writing it also left in the weight type
  // (kernels::cuda::RoundedRows), for the GEMMs reading it next. CudaLinear multiplies the copy
  // instead of rounding the fp32 rows again. Made only where RoundsInputs(rows): at more rows than
  // the decode GEMV takes, which reads fp32 rows; a producer that leaves only the copy says so
  // on its fp32 pointer, and whoever registers a copy removes it when the rows go.
  bool RoundsInputs(int64_t rows) const {
    return weights->dtype() != kernels::cuda::DType::kF32 &&
           rows > kernels::cuda::Blas::kMaxDecodeRows;
  }
  // A rounded buffer for [rows, cols] in the weight type, from the arena.
  kernels::cuda::RoundedRows NewRounded(int64_t rows, int64_t cols) {
    return {weights->dtype(),
            arena->AllocBytes(rows * cols * kernels::cuda::DTypeBytes(weights->dtype())), cols};
  }
  std::map<const float*, kernels::cuda::RoundedRows> rounded;

  // Per-row dt limits [T] (device) for a (prompt lo, prompt hi, decode lo, decode hi) tuple,
  // made on first use in the step.
  std::pair<const float*, const float*> DtLimits(float lo, float hi, float decode_lo,
                                                 float decode_hi);
  std::map<std::tuple<float, float, float, float>, std::pair<const float*, const float*>> dt_limits;
};

}  // namespace hybridserve::engine

#endif  // HYBRIDSERVE_ENGINE_CUDA_CUDA_STEP_H_
