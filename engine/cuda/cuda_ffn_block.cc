// Feed-forward blocks on the GPU, twins of engine/model/blocks/ffn_block.cc. The MoE routes on the
// device (router GEMM in fp32), copies the chosen expert ids back (T x top_k integers) to group
// rows by expert on the host, then runs each chosen expert's MLP on its gathered rows and
// scatter-adds the gated results in expert order (the CPU's summation order).
#include <algorithm>
#include <vector>

#include "engine/cuda/cuda_blocks.h"
#include "kernels/cuda/cuda_check.h"

namespace hybridserve::engine {

void CudaMlp(CudaStep& step, const MlpSpec& spec, const float* x, int64_t num_tokens, float* out,
             bool accumulate, float out_scale) {
  namespace kc = kernels::cuda;
  const int64_t T = num_tokens;
  if (T == 0) return;
  const int64_t F = spec.hidden_dim;
  const int64_t in = spec.up_proj.in_dim;
  const int64_t out_dim = spec.down_proj.out_dim;
  if (spec.gated && T <= kc::Blas::kMaxDecodeRows && !spec.gate_proj.bias.present() &&
      !spec.up_proj.bias.present() && !spec.gate_lora.present() && !spec.up_lora.present()) {
    // Decode: gate, up and the activation in one launch where the GEMV takes them.
    float* hidden = step.arena->Alloc<float>(T * F);  // [T, F]
    const DeviceWeights& w = *step.weights;
    if (step.blas->GatedLinear(x, in, w.dtype(), w.Get(spec.gate_proj.weight),
                               w.Get(spec.up_proj.weight), T, in, F, spec.activation,
                               spec.gate_multiplier, hidden, F)) {
      CudaLinear(step, spec.down_proj, hidden, F, T, out, out_dim, accumulate,
                 out_scale * spec.down_multiplier);
      return;
    }
  }
  float* up = step.arena->Alloc<float>(T * F);  // [T, F]
  CudaLinear(step, spec.up_proj, x, in, T, up, F);
  CudaLora(step, spec.up_lora, x, in, T, up, F);
  float* hidden = up;
  if (spec.gated) {
    float* gate = step.arena->Alloc<float>(T * F);  // [T, F]
    CudaLinear(step, spec.gate_proj, x, in, T, gate, F);
    CudaLora(step, spec.gate_lora, x, in, T, gate, F);
    hidden = gate;
    if (step.RoundsInputs(T)) {
      // Only down_proj reads the middle: it is written rounded, for the GEMM, and not in fp32.
      const kc::RoundedRows rounded = step.NewRounded(T, F);
      kc::GatedActivateRounded(gate, F, up, F, T, F, spec.activation, spec.gate_multiplier, rounded,
                               step.stream);
      step.rounded[hidden] = rounded;
    } else {
      kc::GatedActivate(gate, F, up, F, T, F, spec.activation, spec.gate_multiplier, step.stream);
    }
  } else {
    kc::Activate(up, F, T, F, spec.activation, step.stream);
  }
  CudaLinear(step, spec.down_proj, hidden, F, T, out, out_dim, accumulate,
             out_scale * spec.down_multiplier);
  step.rounded.erase(hidden);
}

void CudaMoe(CudaStep& step, const MoeSpec& spec, const float* x, float* out, bool accumulate) {
  namespace kc = kernels::cuda;
  const DeviceWeights& w = *step.weights;
  const int64_t T = step.num_tokens;
  const int64_t D = spec.router_proj.in_dim;
  const int64_t E = spec.router.num_experts;
  const int64_t k = spec.router.top_k;
  cudaStream_t stream = step.stream;

  // The router runs in fp32 whatever the storage type (as transformers and vLLM do): a bf16
  // rounding of its logits can move a token to other experts, a discontinuous change.
  float* logits = step.arena->Alloc<float>(T * E);  // [T, E]
  step.blas->Linear(x, D, kc::DType::kF32, w.GetF32(spec.router_proj.weight),
                    w.GetF32(spec.router_proj.bias), T, D, E, logits, E);
  kernels::cpu::RouterParams router = spec.router;
  router.correction_bias = w.GetF32(spec.correction_bias);
  int32_t* chosen = step.arena->Alloc<int32_t>(T * k);  // [T, k]
  float* gates = step.arena->Alloc<float>(T * k);       // [T, k]
  kc::RouteTokens(router, logits, T, chosen, gates, stream);
  std::vector<int32_t> host_chosen(static_cast<size_t>(T * k));
  HS_CUDA_CHECK(cudaMemcpyAsync(host_chosen.data(), chosen, host_chosen.size() * sizeof(int32_t),
                                cudaMemcpyDeviceToHost, stream));
  HS_CUDA_CHECK(cudaStreamSynchronize(stream));

  // Rows of each expert, in token order, and where each row's gate sits in gates[T, k].
  std::vector<int32_t> expert_begin(static_cast<size_t>(E + 1), 0);
  for (int32_t e : host_chosen) ++expert_begin[e + 1];
  for (int64_t e = 0; e < E; ++e) expert_begin[e + 1] += expert_begin[e];
  std::vector<int32_t> fill(expert_begin.begin(), expert_begin.end() - 1);
  std::vector<int32_t> rows(static_cast<size_t>(T * k)), gate_index(static_cast<size_t>(T * k));
  for (int64_t t = 0; t < T; ++t) {
    for (int64_t j = 0; j < k; ++j) {
      const int32_t e = host_chosen[t * k + j];
      rows[fill[e]] = static_cast<int32_t>(t);
      gate_index[fill[e]] = static_cast<int32_t>(t * k + j);
      ++fill[e];
    }
  }
  // (Copies from pageable host memory are staged before the calls return.)
  int32_t* device_lists = step.arena->Alloc<int32_t>(2 * T * k);
  HS_CUDA_CHECK(cudaMemcpyAsync(device_lists, rows.data(), rows.size() * sizeof(int32_t),
                                cudaMemcpyHostToDevice, stream));
  HS_CUDA_CHECK(cudaMemcpyAsync(device_lists + T * k, gate_index.data(),
                                gate_index.size() * sizeof(int32_t), cudaMemcpyHostToDevice,
                                stream));
  // Each row's gate, in expert order: gathered from gates[T, k] by gate_index.
  float* row_gates = step.arena->Alloc<float>(T * k);
  kc::GatherRows(gates, 1, device_lists + T * k, T * k, row_gates, stream);

  const bool latent = spec.latent_in.present();
  const int64_t width = latent ? spec.latent_in.out_dim : D;
  const float* expert_in = x;
  if (latent) {
    float* latent_x = step.arena->Alloc<float>(T * width);
    CudaLinear(step, spec.latent_in, x, D, T, latent_x, width);
    expert_in = latent_x;
  }
  float* routed = step.arena->Alloc<float>(T * width);  // [T, width]
  HS_CUDA_CHECK(cudaMemsetAsync(routed, 0, T * width * sizeof(float), stream));
  const int64_t max_rows = T;
  float* gathered = step.arena->Alloc<float>(max_rows * width);
  float* result = step.arena->Alloc<float>(max_rows * width);
  for (int64_t e = 0; e < E; ++e) {
    const int64_t n = expert_begin[e + 1] - expert_begin[e];
    if (n == 0) continue;
    const int32_t* expert_rows = device_lists + expert_begin[e];
    const DeviceArena::Mark expert_mark = step.arena->mark();
    kc::GatherRows(expert_in, width, expert_rows, n, gathered, stream);
    CudaMlp(step, spec.experts[e], gathered, n, result, false, 1.0f);
    kc::ScatterAddRows(result, width, expert_rows, row_gates + expert_begin[e], n, routed, stream);
    step.arena->Release(expert_mark);
  }

  const float* moe_result = routed;
  if (latent) {
    float* moe_out = step.arena->Alloc<float>(T * D);
    CudaLinear(step, spec.latent_out, routed, width, T, moe_out, D);
    moe_result = moe_out;
  }
  if (accumulate) {
    kc::Axpy(1.0f, moe_result, D, out, D, T, D, stream);
  } else {
    kc::CopyRows(moe_result, D, out, D, T, D, stream);
  }
  if (spec.shared_expert) CudaMlp(step, *spec.shared_expert, x, T, out, true, 1.0f);
}

}  // namespace hybridserve::engine
