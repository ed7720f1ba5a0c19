// Internal to kernels/cuda: what the two implementations of the Mamba2 chunked scan share. The
// exact fp32 kernels (mamba2_chunk_scan.cu) and the tensor-core kernels
// (mamba2_chunk_scan_mma.cu) read the same problem description and the same scratch: the
// cumulative sums and decays (step 1) and the state passing across chunks (step 4) are the same
// launches for both; only the three products (steps 2, 3 and 5) differ.
#ifndef HYBRIDSERVE_KERNELS_CUDA_MAMBA2_CHUNK_SCAN_CUH_
#define HYBRIDSERVE_KERNELS_CUDA_MAMBA2_CHUNK_SCAN_CUH_

#include <cuda_runtime.h>

#include <cstdint>

namespace hybridserve::kernels::cuda::ssd {

// One sequence's scan: the op's arguments and the scratch arrays carved out of its scratch.
struct ScanArgs {
  int64_t T, H, P, N, G, Q;  // Q: chunk stride of the scratch arrays, min(chunk_size, T)
  int64_t num_chunks;
  const float* x;
  int64_t x_stride;
  const float* dt;
  int64_t dt_stride;
  const float* A;
  const float* B;
  int64_t b_stride;
  const float* C;
  int64_t c_stride;
  const float* D;
  float* state;  // [H, P, N]
  float* y;
  int64_t y_stride;
  double* cum;          // [nc, H, Q]
  float* exp_cum;       // [nc, H, Q]  exp(cum_l)
  float* decay_to_end;  // [nc, H, Q]  exp(cum_last - cum_l)
  float* cb;            // [nc, G, Q, Q]
  float* chunk_states;  // [nc, H, P, N]

  __device__ int64_t ChunkLength(int64_t c) const { return min(Q, T - c * Q); }
  __device__ int64_t Group(int64_t h) const { return h / (H / G); }
};

// The products of the tensor-core path (mamba2_chunk_scan_mma.cu), launched on stream between
// the shared steps: 2. CB per chunk and group, 3. each chunk's own state, 5. the outputs.
void LaunchChunkCbMma(const ScanArgs& args, cudaStream_t stream);
void LaunchChunkStateMma(const ScanArgs& args, cudaStream_t stream);
void LaunchChunkOutputMma(const ScanArgs& args, cudaStream_t stream);

}  // namespace hybridserve::kernels::cuda::ssd

#endif  // HYBRIDSERVE_KERNELS_CUDA_MAMBA2_CHUNK_SCAN_CUH_
