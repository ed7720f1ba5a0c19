// Why: moving whole rows by index is how a step's activations are split, concatenated and
// regrouped: strided copies (concatenation into wider buffers), gathers (rows that need logits,
// tokens routed to one expert), the weighted scatter-add that combines expert outputs, and the
// reset of SSM state slots for new sequences.
// How: [rows, cols] grids (launch.cuh); each block row looks up its source/destination row once
// and the threads stride over the columns. ScatterAddRows needs no atomics: the contract says a
// destination row appears at most once per call.
#include "base/check.h"
#include "kernels/cuda/cuda_check.h"
#include "kernels/cuda/launch.cuh"
#include "kernels/cuda/ops.h"

namespace hybridserve::kernels::cuda {

namespace {

__global__ void GatherRowsKernel(const float* src, int64_t dim, const int32_t* rows,
                                 int64_t num_rows, float* dst) {
  HS_FOR_EACH_ROW(r, num_rows) {
    const float* src_row = src + static_cast<int64_t>(rows[r]) * dim;
    float* dst_row = dst + r * dim;
    HS_FOR_EACH_COL(i, dim) { dst_row[i] = src_row[i]; }
  }
}

__global__ void ScatterAddRowsKernel(const float* src, int64_t dim, const int32_t* rows,
                                     const float* weights, int64_t num_rows, float* out) {
  HS_FOR_EACH_ROW(r, num_rows) {
    const float* src_row = src + r * dim;
    float* out_row = out + static_cast<int64_t>(rows[r]) * dim;
    const float w = weights[r];
    HS_FOR_EACH_COL(i, dim) { out_row[i] = out_row[i] + w * src_row[i]; }
  }
}

__global__ void ZeroSlotsKernel(float* state, int64_t slot_floats, const int32_t* slots,
                                int64_t num_slots_listed) {
  HS_FOR_EACH_ROW(s, num_slots_listed) {
    float* slot = state + static_cast<int64_t>(slots[s]) * slot_floats;
    HS_FOR_EACH_COL(i, slot_floats) { slot[i] = 0.0f; }
  }
}

}  // namespace

void CopyRows(const float* src, int64_t src_stride, float* dst, int64_t dst_stride,
              int64_t num_tokens, int64_t dim, cudaStream_t stream) {
  HS_CHECK(num_tokens >= 0 && dim >= 0 && src_stride >= dim && dst_stride >= dim);
  if (num_tokens == 0 || dim == 0) return;
  HS_CUDA_CHECK(cudaMemcpy2DAsync(dst, dst_stride * sizeof(float), src, src_stride * sizeof(float),
                                  dim * sizeof(float), num_tokens, cudaMemcpyDeviceToDevice,
                                  stream));
}

void GatherRows(const float* src, int64_t dim, const int32_t* rows, int64_t num_rows, float* dst,
                cudaStream_t stream) {
  HS_CHECK(num_rows >= 0 && dim >= 0);
  if (num_rows == 0 || dim == 0) return;
  GatherRowsKernel<<<RowsGrid(num_rows, dim), kElementwiseThreads, 0, stream>>>(src, dim, rows,
                                                                                num_rows, dst);
  HS_CUDA_CHECK_LAUNCH();
}

void ScatterAddRows(const float* src, int64_t dim, const int32_t* rows, const float* weights,
                    int64_t num_rows, float* out, cudaStream_t stream) {
  HS_CHECK(num_rows >= 0 && dim >= 0);
  if (num_rows == 0 || dim == 0) return;
  ScatterAddRowsKernel<<<RowsGrid(num_rows, dim), kElementwiseThreads, 0, stream>>>(
      src, dim, rows, weights, num_rows, out);
  HS_CUDA_CHECK_LAUNCH();
}

void ZeroSlots(float* state, int64_t slot_floats, const int32_t* slots, int64_t num_slots_listed,
               cudaStream_t stream) {
  HS_CHECK(slot_floats >= 0 && num_slots_listed >= 0);
  if (slot_floats == 0 || num_slots_listed == 0) return;
  ZeroSlotsKernel<<<RowsGrid(num_slots_listed, slot_floats), kElementwiseThreads, 0, stream>>>(
      state, slot_floats, slots, num_slots_listed);
  HS_CUDA_CHECK_LAUNCH();
}

}  // namespace hybridserve::kernels::cuda
