// Why: the first op of every step: one table row per token, widened to fp32 and scaled by the
// family's embedding multiplier (1 for most; muP families such as Falcon-H1 scale it).
// How: a [T, D] row grid; each row reads its token's table row in the storage type, converts
// and multiplies (float(table) * multiplier, as the CPU runner's copy-then-Scale).
#include "base/check.h"
#include "kernels/cuda/cuda_check.h"
#include "kernels/cuda/launch.cuh"
#include "kernels/cuda/ops.h"
#include "kernels/cuda/storage_type.cuh"

namespace hybridserve::kernels::cuda {

namespace {

template <typename T>
__global__ void EmbeddingKernel(const int32_t* tokens, int64_t num_tokens, const T* table,
                                int64_t dim, float multiplier, float* out) {
  HS_FOR_EACH_ROW(t, num_tokens) {
    const T* row = table + static_cast<int64_t>(tokens[t]) * dim;
    float* out_row = out + t * dim;
    HS_FOR_EACH_COL(i, dim) { out_row[i] = LoadFloat(row, i) * multiplier; }
  }
}

}  // namespace

void Embedding(DType dtype, const int32_t* tokens, int64_t num_tokens, const void* table,
               int64_t dim, float multiplier, float* out, cudaStream_t stream) {
  HS_CHECK(num_tokens >= 0 && dim >= 0);
  if (num_tokens == 0 || dim == 0) return;
  DispatchStorage(dtype, [&](auto tag) {
    using T = decltype(tag);
    EmbeddingKernel<T><<<RowsGrid(num_tokens, dim), kElementwiseThreads, 0, stream>>>(
        tokens, num_tokens, static_cast<const T*>(table), dim, multiplier, out);
    HS_CUDA_CHECK_LAUNCH();
  });
}

}  // namespace hybridserve::kernels::cuda
