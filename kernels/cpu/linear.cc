// Why: every projection (QKV, in/out projections, MLPs, router, LM head) is out = x . W^T + b
// with PyTorch's [out, in] weight layout; this is where nearly all CPU time goes.
// How: OpenBLAS, which threads itself (so this op takes no pool). One token (decode) uses GEMV,
// more tokens GEMM. Without accumulate the bias is broadcast into out first and the GEMM adds
// onto it (as torch.addmm does); with accumulate the product is added onto out, then the bias.
#include <cblas.h>

#include <algorithm>

#include "base/check.h"
#include "kernels/cpu/ops.h"

namespace hybridserve::kernels::cpu {

void Linear(const float* x, int64_t x_stride, const float* weight, const float* bias,
            int64_t num_tokens, int64_t in_dim, int64_t out_dim, float* out, int64_t out_stride,
            bool accumulate) {
  HS_CHECK(x_stride >= in_dim && out_stride >= out_dim);
  if (num_tokens <= 0 || out_dim <= 0) return;
  if (in_dim == 0) {
    for (int64_t t = 0; t < num_tokens; ++t) {
      float* row = out + t * out_stride;
      for (int64_t n = 0; n < out_dim; ++n) {
        const float b = bias != nullptr ? bias[n] : 0.0f;
        row[n] = accumulate ? row[n] + b : b;
      }
    }
    return;
  }

  float beta = accumulate ? 1.0f : 0.0f;
  if (!accumulate && bias != nullptr) {
    for (int64_t t = 0; t < num_tokens; ++t) {
      std::copy(bias, bias + out_dim, out + t * out_stride);
    }
    beta = 1.0f;
  }

  if (num_tokens == 1) {
    cblas_sgemv(CblasRowMajor, CblasNoTrans, static_cast<blasint>(out_dim),
                static_cast<blasint>(in_dim), 1.0f, weight, static_cast<blasint>(in_dim), x, 1,
                beta, out, 1);
  } else {
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, static_cast<blasint>(num_tokens),
                static_cast<blasint>(out_dim), static_cast<blasint>(in_dim), 1.0f, x,
                static_cast<blasint>(x_stride), weight, static_cast<blasint>(in_dim), beta, out,
                static_cast<blasint>(out_stride));
  }

  if (accumulate && bias != nullptr) {
    for (int64_t t = 0; t < num_tokens; ++t) {
      float* row = out + t * out_stride;
      for (int64_t n = 0; n < out_dim; ++n) row[n] += bias[n];
    }
  }
}

}  // namespace hybridserve::kernels::cpu
