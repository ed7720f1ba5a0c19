// Why: every projection is out = x . W^T (+ b) with PyTorch's [out, in] weight layout; on the GPU
// nearly all FLOPs are here, so they go to cuBLAS.
// How: row-major out[T, N] is column-major out^T[N, T] (ldc = out_stride), which is
// W[N, K] . x^T: A = the weight (row-major [N, K] = column-major [K, N], op T, lda = K) and
// B = x (column-major [K, T], op N, ldb = its row stride). fp32 weights: an fp32 GEMM with
// CUBLAS_COMPUTE_32F_PEDANTIC (no TF32, no reduced-precision shortcuts). bf16/fp16 weights: x is
// first rounded to the weight type into a dense scratch buffer owned here (ldb = K), then a
// tensor-core GEMM with fp32 accumulation and fp32 output. accumulate is beta = 1; the bias is
// added afterwards by AddBias (once, in both modes), as cpu::Linear adds it once. The scale is
// alpha. Up to 8 rows on bf16/fp16 weights (decode) skip the conversion launch and cuBLAS:
// gemv.cu reads the fp32 rows, rounds them the same way and accumulates in fp32, one launch.
#include "kernels/cuda/blas.h"

#include <algorithm>
#include <limits>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "base/check.h"
#include "kernels/cuda/convert.h"
#include "kernels/cuda/cuda_check.h"
#include "kernels/cuda/gemv.h"

namespace hybridserve::kernels::cuda {

namespace {

constexpr size_t kWorkspaceBytes = size_t{32} << 20;

absl::Status CublasStatus(cublasStatus_t status, const char* what) {
  if (status == CUBLAS_STATUS_SUCCESS) return absl::OkStatus();
  return absl::InternalError(absl::StrCat(what, ": ", cublasGetStatusString(status)));
}

cudaDataType_t CudaDataType(DType dtype) {
  switch (dtype) {
    case DType::kF32:
      return CUDA_R_32F;
    case DType::kBF16:
      return CUDA_R_16BF;
    case DType::kF16:
      return CUDA_R_16F;
  }
  HS_CHECK_MSG(false, "unknown dtype");
  return CUDA_R_32F;
}

}  // namespace

absl::StatusOr<std::unique_ptr<Blas>> Blas::Create(cudaStream_t stream) {
  cublasHandle_t handle = nullptr;
  if (absl::Status s = CublasStatus(cublasCreate(&handle), "cublasCreate"); !s.ok()) return s;
  void* workspace = nullptr;
  absl::Status status = CublasStatus(cublasSetStream(handle, stream), "cublasSetStream");
  if (status.ok()) {
    status = CudaStatus(cudaMalloc(&workspace, kWorkspaceBytes), "allocating the cuBLAS workspace");
  }
  if (status.ok()) {
    status =
        CublasStatus(cublasSetWorkspace(handle, workspace, kWorkspaceBytes), "cublasSetWorkspace");
  }
  if (status.ok()) {
    // fp32 accumulation all the way: no bf16/fp16 partial sums in split-K reductions (cuBLAS
    // allows them for half-precision inputs unless told not to).
    status = CublasStatus(
        cublasSetMathMode(
            handle, static_cast<cublasMath_t>(CUBLAS_DEFAULT_MATH |
                                              CUBLAS_MATH_DISALLOW_REDUCED_PRECISION_REDUCTION)),
        "cublasSetMathMode");
  }
  if (!status.ok()) {
    cublasDestroy(handle);
    if (workspace != nullptr) cudaFree(workspace);
    return status;
  }
  return std::unique_ptr<Blas>(new Blas(handle, stream, workspace));
}

Blas::Blas(cublasHandle_t handle, cudaStream_t stream, void* workspace)
    : handle_(handle), stream_(stream), workspace_(workspace) {}

Blas::~Blas() {
  // Work still queued on the stream may use the workspace or the scratch.
  cudaStreamSynchronize(stream_);
  cublasDestroy(handle_);
  cudaFree(workspace_);
  if (scratch_ != nullptr) cudaFree(scratch_);
}

void* Blas::Scratch(int64_t bytes) {
  if (bytes > scratch_bytes_) {
    // Grows rarely (the largest activation seen so far, rounded up); the old buffer may still be
    // read by queued GEMMs, so the stream drains before it is freed.
    const int64_t new_bytes = std::max(bytes, 2 * scratch_bytes_);
    if (scratch_ != nullptr) {
      HS_CUDA_CHECK(cudaStreamSynchronize(stream_));
      HS_CUDA_CHECK(cudaFree(scratch_));
      scratch_ = nullptr;
      scratch_bytes_ = 0;
    }
    HS_CUDA_CHECK(cudaMalloc(&scratch_, static_cast<size_t>(new_bytes)));
    scratch_bytes_ = new_bytes;
    ++scratch_generation_;
  }
  return scratch_;
}

static_assert(Blas::kMaxDecodeRows == kMaxGemvRows);

void Blas::Linear(const float* x, int64_t x_stride, DType wtype, const void* weight,
                  const void* bias, int64_t num_tokens, int64_t in_dim, int64_t out_dim, float* out,
                  int64_t out_stride, bool accumulate, float scale) {
  HS_CHECK(num_tokens >= 0 && in_dim >= 0 && out_dim >= 0);
  HS_CHECK(x_stride >= in_dim && out_stride >= out_dim);
  constexpr int64_t kMaxInt = std::numeric_limits<int>::max();  // cuBLAS takes int dims
  HS_CHECK(num_tokens <= kMaxInt && x_stride <= kMaxInt && out_stride <= kMaxInt);
  if (num_tokens == 0 || out_dim == 0) return;
  if (in_dim == 0) {
    // An empty product: out = bias (or 0), or out += bias.
    if (!accumulate) {
      HS_CUDA_CHECK(cudaMemset2DAsync(out, out_stride * sizeof(float), 0, out_dim * sizeof(float),
                                      num_tokens, stream_));
    }
    if (bias != nullptr) AddBias(wtype, bias, num_tokens, out_dim, out, out_stride, stream_);
    return;
  }

  if (GemvApplies(wtype, num_tokens, in_dim, weight, x, x_stride)) {
    // A few rows (decode): one launch reads the fp32 rows directly.
    Gemv(x, x_stride, wtype, weight, bias, num_tokens, in_dim, out_dim, out, out_stride, accumulate,
         scale, stream_);
    return;
  }
  if (wtype != DType::kF32) {
    void* x_lowp = Scratch(num_tokens * in_dim * DTypeBytes(wtype));
    FromFloatRows(wtype, x, x_stride, num_tokens, in_dim, x_lowp, stream_);
    Gemm(x_lowp, in_dim, wtype, weight, bias, num_tokens, in_dim, out_dim, out, out_stride,
         accumulate, scale);
    return;
  }
  Gemm(x, x_stride, wtype, weight, bias, num_tokens, in_dim, out_dim, out, out_stride, accumulate,
       scale);
}

bool Blas::GatedLinear(const float* x, int64_t x_stride, DType wtype, const void* gate_weight,
                       const void* up_weight, int64_t num_tokens, int64_t in_dim, int64_t out_dim,
                       cpu::Activation act, float gate_multiplier, float* out, int64_t out_stride) {
  if (!GemvApplies(wtype, num_tokens, in_dim, gate_weight, x, x_stride) ||
      !GemvApplies(wtype, num_tokens, in_dim, up_weight, x, x_stride) || out_dim == 0) {
    return false;
  }
  HS_CHECK(out_stride >= out_dim);
  GatedGemv(x, x_stride, wtype, gate_weight, up_weight, num_tokens, in_dim, out_dim, act,
            gate_multiplier, out, out_stride, stream_);
  return true;
}

bool Blas::LinearGroup(const float* x, int64_t x_stride, DType wtype, int64_t num_tokens,
                       int64_t in_dim, absl::Span<const GemvSegment> products) {
  if (products.empty() || products.size() > kMaxGemvSegments) return false;
  for (const GemvSegment& product : products) {
    if (!GemvApplies(wtype, num_tokens, in_dim, product.weight, x, x_stride)) return false;
  }
  GroupedGemv(x, x_stride, wtype, num_tokens, in_dim, products, stream_);
  return true;
}

void Blas::LinearRounded(const void* x, int64_t x_stride, DType wtype, const void* weight,
                         const void* bias, int64_t num_tokens, int64_t in_dim, int64_t out_dim,
                         float* out, int64_t out_stride, bool accumulate, float scale) {
  HS_CHECK(wtype != DType::kF32 && num_tokens >= 0 && in_dim > 0 && out_dim >= 0);
  HS_CHECK(x_stride >= in_dim && out_stride >= out_dim);
  constexpr int64_t kMaxInt = std::numeric_limits<int>::max();
  HS_CHECK(num_tokens <= kMaxInt && x_stride <= kMaxInt && out_stride <= kMaxInt);
  if (num_tokens == 0 || out_dim == 0) return;
  Gemm(x, x_stride, wtype, weight, bias, num_tokens, in_dim, out_dim, out, out_stride, accumulate,
       scale);
}

void Blas::Gemm(const void* x, int64_t x_stride, DType wtype, const void* weight, const void* bias,
                int64_t num_tokens, int64_t in_dim, int64_t out_dim, float* out, int64_t out_stride,
                bool accumulate, float scale) {
  const float alpha = scale;
  const float beta = accumulate ? 1.0f : 0.0f;
  const cudaDataType_t type = CudaDataType(wtype);
  // fp32 weights: a plain fp32 GEMM (no TF32); bf16/fp16 on the tensor cores, fp32 accumulation.
  const cublasComputeType_t compute =
      wtype == DType::kF32 ? CUBLAS_COMPUTE_32F_PEDANTIC : CUBLAS_COMPUTE_32F;
  HS_CUBLAS_CHECK(cublasGemmEx(handle_, CUBLAS_OP_T, CUBLAS_OP_N, static_cast<int>(out_dim),
                               static_cast<int>(num_tokens), static_cast<int>(in_dim), &alpha,
                               weight, type, static_cast<int>(in_dim), x, type,
                               static_cast<int>(x_stride), &beta, out, CUDA_R_32F,
                               static_cast<int>(out_stride), compute, CUBLAS_GEMM_DEFAULT));
  if (bias != nullptr) AddBias(wtype, bias, num_tokens, out_dim, out, out_stride, stream_);
}

}  // namespace hybridserve::kernels::cuda
