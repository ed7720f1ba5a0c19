// Linear pieces of the spec on the GPU (through cuBLAS) and the step's per-row dt limits.
#include "base/check.h"
#include "engine/cuda/cuda_blocks.h"
#include "kernels/cuda/cuda_check.h"

namespace hybridserve::engine {

void CudaLinear(const CudaStep& step, const LinearSpec& linear, const float* x, int64_t x_stride,
                int64_t num_tokens, float* out, int64_t out_stride, bool accumulate, float scale) {
  namespace kc = kernels::cuda;
  if (num_tokens == 0) return;
  const void* bias = step.weights->Get(linear.bias);
  const int64_t n = linear.out_dim;
  const auto rounded = step.rounded.find(x);
  // The rows' rounded copy when one was left (the same product, one conversion fewer).
  auto product = [&](float* to, int64_t to_stride, bool add, float alpha) {
    const kc::DType wtype = step.weights->dtype();
    const void* weight = step.weights->Get(linear.weight);
    if (rounded != step.rounded.end()) {
      HS_CHECK(rounded->second.type == wtype);
      step.blas->LinearRounded(rounded->second.data, rounded->second.stride, wtype, weight, bias,
                               num_tokens, linear.in_dim, n, to, to_stride, add, alpha);
    } else {
      step.blas->Linear(x, x_stride, wtype, weight, bias, num_tokens, linear.in_dim, n, to,
                        to_stride, add, alpha);
    }
  };
  if (scale == 1.0f || bias == nullptr) {
    // The scale rides on the GEMM (cuBLAS's alpha).
    product(out, out_stride, accumulate, scale);
    return;
  }
  // A scaled product with a bias: x . W^T + b in a temporary, then scaled into out.
  float* temporary = step.arena->Alloc<float>(num_tokens * n);
  product(temporary, n, false, 1.0f);
  if (!accumulate)
    HS_CUDA_CHECK(cudaMemset2DAsync(out, out_stride * sizeof(float), 0, n * sizeof(float),
                                    num_tokens, step.stream));
  kc::Axpy(scale, temporary, n, out, out_stride, num_tokens, n, step.stream);
}

void CudaLora(const CudaStep& step, const LoraSpec& lora, const float* x, int64_t x_stride,
              int64_t num_tokens, float* out, int64_t out_stride) {
  if (!lora.present() || num_tokens == 0) return;
  float* low = step.arena->Alloc<float>(num_tokens * lora.down.out_dim);
  CudaLinear(step, lora.down, x, x_stride, num_tokens, low, lora.down.out_dim);
  CudaLinear(step, lora.up, low, lora.down.out_dim, num_tokens, out, out_stride,
             /*accumulate=*/true);
}

std::pair<const float*, const float*> CudaStep::DtLimits(float lo, float hi, float decode_lo,
                                                         float decode_hi) {
  const auto key = std::make_tuple(lo, hi, decode_lo, decode_hi);
  if (auto it = dt_limits.find(key); it != dt_limits.end()) return it->second;
  std::vector<float> host(static_cast<size_t>(2 * num_tokens));
  for (size_t s = 0; s + 1 < row_begin.size(); ++s) {
    for (int32_t r = row_begin[s]; r < row_begin[s + 1]; ++r) {
      host[r] = decode[s] ? decode_lo : lo;
      host[num_tokens + r] = decode[s] ? decode_hi : hi;
    }
  }
  float* device = arena->Alloc<float>(2 * num_tokens);
  HS_CUDA_CHECK(cudaMemcpyAsync(device, host.data(), host.size() * sizeof(float),
                                cudaMemcpyHostToDevice, stream));
  // A copy from pageable host memory is staged before the call returns: the vector may go.
  const std::pair<const float*, const float*> limits(device, device + num_tokens);
  dt_limits[key] = limits;
  return limits;
}

}  // namespace hybridserve::engine
