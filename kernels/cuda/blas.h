// The GEMMs of the CUDA backend, through cuBLAS: out[T, N] (fp32) = x[T, K] (fp32) . W[N, K]^T
// (+ bias), with W in the model's storage type and fp32 accumulation. For bf16/fp16 weights the
// activations are rounded to the storage type first (into a scratch buffer this object owns), so
// the product runs on the tensor cores; for fp32 weights it is a plain fp32 GEMM (no TF32).
#ifndef HYBRIDSERVE_KERNELS_CUDA_BLAS_H_
#define HYBRIDSERVE_KERNELS_CUDA_BLAS_H_

#include <cublas_v2.h>
#include <cuda_runtime.h>

#include <cstdint>
#include <memory>

#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "kernels/cuda/gemv.h"
#include "kernels/cuda/ops.h"

namespace hybridserve::kernels::cuda {

class Blas {
 public:
  // A handle bound to stream. The object owns the handle, the cuBLAS workspace and the scratch.
  static absl::StatusOr<std::unique_ptr<Blas>> Create(cudaStream_t stream);
  ~Blas();
  Blas(const Blas&) = delete;
  Blas& operator=(const Blas&) = delete;

  // out = scale * x . W^T (+ bias), or out += ... with accumulate (the scale is cuBLAS's alpha:
  // it does not apply to the bias). x: [T, K] (row stride x_stride); weight: [N, K] (wtype,
  // dense); bias: [N] (wtype) or null; out: [T, N] (row stride out_stride).
  void Linear(const float* x, int64_t x_stride, DType wtype, const void* weight, const void* bias,
              int64_t num_tokens, int64_t in_dim, int64_t out_dim, float* out, int64_t out_stride,
              bool accumulate = false, float scale = 1.0f);

  // The gated MLP's middle, out = act(gate_multiplier * x . Wg^T) * (x . Wu^T) ([T, N], row
  // stride out_stride), in one launch when the decode GEMV takes both products (bf16/fp16
  // weights, up to kMaxDecodeRows rows, aligned); the same values as two Linear calls and
  // GatedActivate. Returns false, having done nothing, where it does not apply.
  bool GatedLinear(const float* x, int64_t x_stride, DType wtype, const void* gate_weight,
                   const void* up_weight, int64_t num_tokens, int64_t in_dim, int64_t out_dim,
                   cpu::Activation act, float gate_multiplier, float* out, int64_t out_stride);

  // Several products of the same rows (q, k and v: a GemvSegment each, with its own output,
  // scale, bias and accumulate) in one launch, when the decode GEMV takes every one of them; the
  // values of one Linear call each (bit for bit where those would split their rows as the
  // group's launch does, gemv.cu). Returns false, having done nothing, otherwise.
  bool LinearGroup(const float* x, int64_t x_stride, DType wtype, int64_t num_tokens,
                   int64_t in_dim, absl::Span<const GemvSegment> products);

  // Up to this many rows, bf16/fp16 products read the fp32 rows directly (the decode GEMV).
  static constexpr int64_t kMaxDecodeRows = 8;

  // Linear on rows already rounded to wtype (bf16/fp16; an op's RoundedRows): x: [T, K] in wtype
  // with row stride x_stride. The same product Linear makes of fp32 rows once it has rounded them.
  void LinearRounded(const void* x, int64_t x_stride, DType wtype, const void* weight,
                     const void* bias, int64_t num_tokens, int64_t in_dim, int64_t out_dim,
                     float* out, int64_t out_stride, bool accumulate = false, float scale = 1.0f);

  cudaStream_t stream() const { return stream_; }
  // Changes whenever the scratch buffer moves (a captured CUDA graph that used it is then stale).
  int64_t scratch_generation() const { return scratch_generation_; }

 private:
  Blas(cublasHandle_t handle, cudaStream_t stream, void* workspace);
  void* Scratch(int64_t bytes);
  // The cuBLAS product of rows in wtype (x: [T, K], row stride x_stride) with W.
  void Gemm(const void* x, int64_t x_stride, DType wtype, const void* weight, const void* bias,
            int64_t num_tokens, int64_t in_dim, int64_t out_dim, float* out, int64_t out_stride,
            bool accumulate, float scale);

  cublasHandle_t handle_;
  cudaStream_t stream_;
  void* workspace_;
  void* scratch_ = nullptr;
  int64_t scratch_bytes_ = 0;
  int64_t scratch_generation_ = 0;
};

// out[t, n] += bias[n] over [T, N] (row stride), bias in wtype.
void AddBias(DType wtype, const void* bias, int64_t num_tokens, int64_t out_dim, float* out,
             int64_t out_stride, cudaStream_t stream);

}  // namespace hybridserve::kernels::cuda

#endif  // HYBRIDSERVE_KERNELS_CUDA_BLAS_H_
